package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHealthcheck(t *testing.T) {
	ready := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz":
			_, _ = w.Write([]byte(`{"status":"ok"}`))
		case "/readyz":
			w.WriteHeader(ready)
			_, _ = w.Write([]byte(`{"status":"unavailable"}`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	// The listen address as a container sets it: 0.0.0.0 is asked on loopback.
	addr := "--addr=0.0.0.0:" + srv.URL[strings.LastIndex(srv.URL, ":")+1:]

	if code, out := portal(t, "healthcheck", addr); code != 0 || !strings.Contains(out, "/healthz") {
		t.Fatalf("healthcheck: %d %s", code, out)
	}
	ready = http.StatusServiceUnavailable
	if code, out := portal(t, "healthcheck", "--ready", addr); code != 1 || !strings.Contains(out, "503") {
		t.Fatalf("healthcheck --ready on an unready portal: %d %s", code, out)
	}
	srv.Close()
	if code, _ := portal(t, "healthcheck", addr); code != 1 {
		t.Fatalf("healthcheck with nothing listening exits %d", code)
	}
}
