package server

import (
	"testing"
	"time"
)

// TestSessionExpiry checks the idle and the absolute expiry of sessions on
// a clock the test moves, and that personal tokens outlive both.
func TestSessionExpiry(t *testing.T) {
	cfg := testConfig(t.TempDir())
	clock := &xClock{t: time.Now().UTC().Truncate(time.Millisecond)}
	cfg.Now = clock.Now
	cfg.SessionIdle, cfg.SessionMax = 2*time.Hour, 24*time.Hour
	p := startPortal(t, cfg)
	acc := seed(t, p)
	dev := acc["developer"]
	login := func() string {
		var r LoginResponse
		p.anon().want(t, 200, "POST", "/api/v1/auth/login", LoginRequest{Email: dev.email, Password: dev.password}).json(t, &r)
		if want := clock.Now().Add(24 * time.Hour); r.ExpiresAt.After(want) || r.ExpiresAt.Before(want.Add(-time.Minute)) {
			t.Fatalf("session expires at %v, want about %v", r.ExpiresAt, want)
		}
		return r.Token
	}

	t.Run("idle", func(t *testing.T) {
		s := login()
		clock.Advance(90 * time.Minute)
		p.as(s).want(t, 200, "GET", "/api/v1/me", nil) // in use: the idle clock restarts
		clock.Advance(90 * time.Minute)
		p.as(s).want(t, 200, "GET", "/api/v1/me", nil)
		clock.Advance(2*time.Hour + time.Minute)
		p.as(s).want(t, 401, "GET", "/api/v1/me", nil)
		// An ended session stays ended, even if the clock went back.
		p.as(s).want(t, 401, "GET", "/api/v1/me", nil)
	})

	t.Run("absolute", func(t *testing.T) {
		s := login()
		for i := 0; i < 23; i++ {
			clock.Advance(time.Hour)
			p.as(s).want(t, 200, "GET", "/api/v1/me", nil)
		}
		clock.Advance(time.Hour + time.Minute)
		p.as(s).want(t, 401, "GET", "/api/v1/me", nil)
	})

	t.Run("tokens outlive sessions and expire on their own", func(t *testing.T) {
		p.as(dev.token).want(t, 200, "GET", "/api/v1/me", nil)
		s := login()
		var nt struct {
			Secret string `json:"token"`
		}
		p.as(s).want(t, 201, "POST", "/api/v1/tokens", TokenRequest{Name: "one day", ExpiresInDays: 1}).json(t, &nt)
		clock.Advance(23 * time.Hour)
		p.as(nt.Secret).want(t, 200, "GET", "/api/v1/me", nil)
		clock.Advance(2 * time.Hour)
		p.as(nt.Secret).want(t, 401, "GET", "/api/v1/me", nil)
		p.as(dev.token).want(t, 200, "GET", "/api/v1/me", nil)
	})
}
