package server

import (
	"flag"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

// TestREADMEConfigTable keeps the README's configuration table equal to
// the settings the portal reads.
func TestREADMEConfigTable(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "| `--") {
			cells := strings.Split(line, "|")
			rows[strings.Trim(strings.TrimSpace(cells[2]), "`")] = line
		}
	}
	for _, s := range Settings() {
		line, ok := rows[s.Env]
		if !ok {
			t.Errorf("README lacks %s", s.Env)
			continue
		}
		def := ""
		if s.Default != "" {
			def = "`" + s.Default + "`"
		}
		want := []string{"`--" + s.Flag + "`", "`" + s.Env + "`", def, s.Help}
		var got []string
		for _, c := range strings.Split(strings.Trim(line, "|"), "|") {
			got = append(got, strings.TrimSpace(c))
		}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("README row for %s:\n got %s\nwant %s", s.Env, line, want)
		}
		delete(rows, s.Env)
	}
	for env := range rows {
		t.Errorf("README documents %s, which the portal does not read", env)
	}
}

func TestConfigPrecedence(t *testing.T) {
	env := map[string]string{"PORTAL_ADDR": "0.0.0.0:9000", "PORTAL_SESSION_IDLE": "30m", "PORTAL_DEMO": "true"}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	load := RegisterFlags(fs, func(k string) string { return env[k] })
	if err := fs.Parse([]string{"--addr", "127.0.0.1:9001", "--data", "/srv/portal"}); err != nil {
		t.Fatal(err)
	}
	c, err := load()
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9001" || c.DataDir != "/srv/portal" || c.SessionIdle != 30*time.Minute || !c.Demo || c.SessionMax != 24*time.Hour {
		t.Fatalf("config: %+v", c)
	}
	for _, bad := range [][]string{{"--session-idle", "soon"}, {"--log-format", "xml"}, {"--trusted-proxies", "not-an-ip"}, {"--body-limit", "-1"}} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		load := RegisterFlags(fs, func(string) string { return "" })
		if err := fs.Parse(bad); err != nil {
			continue
		}
		if _, err := load(); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	// --demo stands alone as a boolean flag.
	fs = flag.NewFlagSet("t", flag.ContinueOnError)
	load = RegisterFlags(fs, func(string) string { return "" })
	if err := fs.Parse([]string{"--demo"}); err != nil {
		t.Fatal(err)
	}
	if c, _ := load(); !c.Demo {
		t.Fatal("--demo did not enable the demo")
	}
}
