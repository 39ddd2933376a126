package server

import (
	"strings"
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

func TestPasswordChange(t *testing.T) {
	p := startPortal(t, testConfig(t.TempDir()))
	acc := seed(t, p)
	dev := acc["developer"]
	var a, b LoginResponse
	p.anon().want(t, 200, "POST", "/api/v1/auth/login", LoginRequest{Email: dev.email, Password: dev.password}).json(t, &a)
	p.anon().want(t, 200, "POST", "/api/v1/auth/login", LoginRequest{Email: dev.email, Password: dev.password}).json(t, &b)
	r := p.as(a.Token).want(t, 422, "POST", "/api/v1/me/password", PasswordChange{CurrentPassword: "wrong one!!", Password: "a brand new password"})
	if pr := r.problem(t); len(pr.Errors) != 1 || pr.Errors[0].Field != "current_password" {
		t.Fatalf("wrong current password: %s", r.body)
	}
	p.as(a.Token).want(t, 422, "POST", "/api/v1/me/password", PasswordChange{CurrentPassword: dev.password, Password: "short"})
	p.as(a.Token).want(t, 204, "POST", "/api/v1/me/password", PasswordChange{CurrentPassword: dev.password, Password: "a brand new password"})
	p.as(a.Token).want(t, 200, "GET", "/api/v1/me", nil) // the session that changed it goes on
	p.as(b.Token).want(t, 401, "GET", "/api/v1/me", nil) // the other one ended
	p.anon().want(t, 401, "POST", "/api/v1/auth/login", LoginRequest{Email: dev.email, Password: dev.password})
	p.anon().want(t, 200, "POST", "/api/v1/auth/login", LoginRequest{Email: dev.email, Password: "a brand new password"})

	// Administrators reset; others may not.
	var me MeResponse
	p.as(a.Token).want(t, 200, "GET", "/api/v1/me", nil).json(t, &me)
	p.as(acc["provider"].token).want(t, 403, "POST", "/api/v1/users/"+me.User.ID+"/password", PasswordSet{Password: "taken over!!"})
}

// TestPagesAskBeforeShowingForms: pages whose forms the caller could not
// use answer with the explanation instead of the form.
func TestPagesAskBeforeShowingForms(t *testing.T) {
	p := startPortal(t, testConfig(t.TempDir()))
	acc := seed(t, p)
	html := []string{"Accept", "text/html"}
	p.as(acc["provider"].token).want(t, 200, "GET", "/workspace/datasets/new", nil, html...)
	for _, who := range []string{"developer", "bureau"} {
		p.as(acc[who].token).want(t, 403, "GET", "/workspace/datasets/new", nil, html...)
	}
	p.as(acc["bureau"].token).want(t, 200, "GET", "/workspace/orgs", nil, html...)
	for _, who := range []string{"developer", "provider"} {
		r := p.as(acc[who].token).want(t, 403, "GET", "/workspace/orgs", nil, html...)
		if !strings.Contains(string(r.body), "<html") {
			t.Fatalf("%s: not an error page", who)
		}
	}
}
