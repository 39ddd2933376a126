package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"net/http"
	"os"
	"time"

	"github.com/gofiber/fiber/v2"
)

// checkTimeout bounds each dependency check of /readyz, so that a hanging
// engine makes the probe answer, not time out.
const checkTimeout = 2 * time.Second

// ready answers /readyz for load balancers and orchestrators.
//
// The store is the portal's truth: without it nothing works, and /readyz
// answers 503 "unavailable" so the instance is taken out of rotation. The
// search index is derived: while it is down, writes still succeed (they
// are queued in the store and indexed when it is back), dataset pages,
// downloads and the workspace work, and only search answers 503. All
// instances share one engine, so failing readiness on it would take every
// instance out of rotation at once and turn a search outage into a total
// one. /readyz therefore answers 200 "degraded" then; operators alert on
// portal_index_pending_oldest_seconds and the index check instead.
func (a *App) ready(c *fiber.Ctx) error {
	ctx := c.UserContext()
	checks := fiber.Map{"instance": a.svc.Instance()}
	status, code := "ready", http.StatusOK

	sctx, cancel := context.WithTimeout(ctx, checkTimeout)
	err := a.store.Ping(sctx)
	cancel()
	if err != nil {
		checks["store"], status, code = "unavailable", "unavailable", http.StatusServiceUnavailable
	} else {
		checks["store"] = a.store.Backend() + ": ok"
	}

	ictx, cancel := context.WithTimeout(ctx, checkTimeout)
	err = a.index.Ping(ictx)
	cancel()
	if err != nil {
		checks["index"] = "unavailable"
		if code == http.StatusOK {
			status = "degraded"
		}
	} else {
		checks["index"] = "ok"
	}

	if code == http.StatusOK {
		bctx, cancel := context.WithTimeout(ctx, checkTimeout)
		n, age, err := a.svc.IndexBacklog(bctx)
		cancel()
		if err == nil {
			checks["index_pending"] = n
			checks["index_pending_oldest_seconds"] = math.Round(age.Seconds())
		}
	}
	if a.svc.IndexLeader() {
		checks["indexer"] = "leader"
	} else {
		checks["indexer"] = "standby"
	}
	return c.Status(code).JSON(fiber.Map{"status": status, "checks": checks})
}

// InstanceName names a portal among the instances sharing a store: the
// host name (a pod's name in Kubernetes), the process id and a random part
// (two portals in one process, as in tests, are two instances).
func InstanceName() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "portal"
	}
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
}
