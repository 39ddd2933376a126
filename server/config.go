package server

import (
	"flag"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Config is the whole configuration of a portal process. It is filled once
// from flags and PORTAL_* environment variables (flags win) and then passed
// down explicitly; nothing reads the environment elsewhere.
type Config struct {
	Addr     string
	DataDir  string
	MongoURI string
	MongoDB  string
	MeiliURL string
	MeiliKey string
	// MeiliIndex is the uid of the Meilisearch index the portal uses.
	MeiliIndex string

	LogLevel  slog.Level
	LogFormat string

	SessionIdle     time.Duration
	SessionMax      time.Duration
	SecureCookies   string // auto, always, never
	TrustedProxies  []string
	BodyLimit       int
	UploadLimit     int64 // bytes; uploads are streamed, so memory does not bound it
	RequestTimeout  time.Duration
	ShutdownTimeout time.Duration
	LoginPerAccount int
	LoginPerIP      int
	LoginWindow     time.Duration
	IndexPoll       time.Duration
	// StatsInterval is how old the stored statistics may grow before the
	// sweep recomputes them.
	StatsInterval time.Duration

	// BaseURL is the public address used in exported links.
	BaseURL string

	// Demo loads the demo catalogue into an empty store at start.
	Demo bool

	// SMTPURL is the SMTP server for notification e-mail; empty: none.
	SMTPURL string
	// Now is the clock (nil: the system clock). Not a setting: tests
	// that move time (grant expiry) set it.
	Now func() time.Time
}

// Setting documents one configuration entry: its flag, its variable, its
// default and what it does. The README's table is generated from the same
// list (TestREADMEConfigTable keeps them equal).
type Setting struct {
	Flag, Env, Default, Help string
	set                      func(c *Config, v string) error
}

// Settings lists every configuration entry.
func Settings() []Setting {
	return []Setting{
		{"addr", "PORTAL_ADDR", "127.0.0.1:8080", "address to listen on", func(c *Config, v string) error { c.Addr = v; return nil }},
		{"data", "PORTAL_DATA", "./portal-data", "data directory: SQLite store, blobs, Bleve index", func(c *Config, v string) error { c.DataDir = v; return nil }},
		{"mongodb-uri", "PORTAL_MONGODB_URI", "", "MongoDB connection string; when set, MongoDB is the store (production)", func(c *Config, v string) error { c.MongoURI = v; return nil }},
		{"mongodb-database", "PORTAL_MONGODB_DATABASE", "dataportal", "MongoDB database name", func(c *Config, v string) error { c.MongoDB = v; return nil }},
		{"meili-url", "PORTAL_MEILI_URL", "", "Meilisearch URL; when set, Meilisearch is the search index (production)", func(c *Config, v string) error { c.MeiliURL = v; return nil }},
		{"meili-key", "PORTAL_MEILI_KEY", "", "Meilisearch API key", func(c *Config, v string) error { c.MeiliKey = v; return nil }},
		{"meili-index", "PORTAL_MEILI_INDEX", "datasets", "uid of the Meilisearch index (letters, digits, - and _); portals sharing one Meilisearch need one each", func(c *Config, v string) error { c.MeiliIndex = v; return nil }},
		{"log-level", "PORTAL_LOG_LEVEL", "info", "debug, info, warn or error", func(c *Config, v string) error { return c.LogLevel.UnmarshalText([]byte(v)) }},
		{"log-format", "PORTAL_LOG_FORMAT", "text", "text or json", func(c *Config, v string) error {
			if v != "text" && v != "json" {
				return fmt.Errorf("must be text or json")
			}
			c.LogFormat = v
			return nil
		}},
		{"session-idle", "PORTAL_SESSION_IDLE", "2h", "a session ends after this long without requests", durationSetter(func(c *Config) *time.Duration { return &c.SessionIdle })},
		{"session-max", "PORTAL_SESSION_MAX", "24h", "a session ends this long after sign-in", durationSetter(func(c *Config) *time.Duration { return &c.SessionMax })},
		{"secure-cookies", "PORTAL_SECURE_COOKIES", "auto", "auto (Secure when the request came over HTTPS), always or never", func(c *Config, v string) error {
			if v != "auto" && v != "always" && v != "never" {
				return fmt.Errorf("must be auto, always or never")
			}
			c.SecureCookies = v
			return nil
		}},
		{"trusted-proxies", "PORTAL_TRUSTED_PROXIES", "", "comma-separated addresses or CIDRs of reverse proxies whose X-Forwarded-For/-Proto are believed", func(c *Config, v string) error {
			c.TrustedProxies = nil
			for _, p := range strings.Split(v, ",") {
				if p = strings.TrimSpace(p); p == "" {
					continue
				}
				if _, err := netip.ParsePrefix(p); err != nil {
					if _, err := netip.ParseAddr(p); err != nil {
						return fmt.Errorf("%q is not an address or CIDR", p)
					}
				}
				c.TrustedProxies = append(c.TrustedProxies, p)
			}
			return nil
		}},
		{"body-limit", "PORTAL_BODY_LIMIT", "1048576", "largest accepted request body in bytes (JSON)", intSetter(func(c *Config) *int { return &c.BodyLimit })},
		{"upload-limit", "PORTAL_UPLOAD_LIMIT", "10737418240", "largest accepted file upload in bytes (10 GiB; streamed to the blob store, never held in memory)", func(c *Config, v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				return fmt.Errorf("must be a positive number of bytes")
			}
			c.UploadLimit = n
			return nil
		}},
		{"request-timeout", "PORTAL_REQUEST_TIMEOUT", "30s", "deadline of each request's work", durationSetter(func(c *Config) *time.Duration { return &c.RequestTimeout })},
		{"shutdown-timeout", "PORTAL_SHUTDOWN_TIMEOUT", "20s", "how long shutdown waits for requests in flight", durationSetter(func(c *Config) *time.Duration { return &c.ShutdownTimeout })},
		{"login-limit-account", "PORTAL_LOGIN_LIMIT_ACCOUNT", "10", "failed sign-ins per account per window", intSetter(func(c *Config) *int { return &c.LoginPerAccount })},
		{"login-limit-ip", "PORTAL_LOGIN_LIMIT_IP", "100", "failed sign-ins per client address per window", intSetter(func(c *Config) *int { return &c.LoginPerIP })},
		{"login-window", "PORTAL_LOGIN_WINDOW", "15m", "window of the sign-in limits", durationSetter(func(c *Config) *time.Duration { return &c.LoginWindow })},
		{"index-poll", "PORTAL_INDEX_POLL", "5s", "how often the indexer looks for work written by other instances", durationSetter(func(c *Config) *time.Duration { return &c.IndexPoll })},
		{"stats-interval", "PORTAL_STATS_INTERVAL", "10m", "how often the statistics (GET /api/v1/stats) are recomputed in the background", durationSetter(func(c *Config) *time.Duration { return &c.StatsInterval })},
		{"smtp-url", "PORTAL_SMTP_URL", "", "SMTP server for notification e-mail: smtp://user:pass@host:port?from=address (STARTTLS when offered) or smtps://… (implicit TLS); unset: notifications stay in the portal", func(c *Config, v string) error {
			if v != "" && !strings.HasPrefix(v, "smtp://") && !strings.HasPrefix(v, "smtps://") {
				return fmt.Errorf("must be an smtp:// or smtps:// URL")
			}
			c.SMTPURL = v
			return nil
		}},
		{"base-url", "PORTAL_BASE_URL", "", "the portal's public address (https://data.example.gov.cn) for links in exports and e-mail; unset: the address each request came to", func(c *Config, v string) error {
			if v != "" {
				u, err := url.Parse(v)
				if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
					return fmt.Errorf("must be an http or https address")
				}
			}
			c.BaseURL = v
			return nil
		}},
		{"demo", "PORTAL_DEMO", "false", "load the demo catalogue and accounts into an empty store at start", func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			c.Demo = b
			return err
		}},
	}
}

func durationSetter(field func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("must be a positive duration such as 30s or 2h")
		}
		*field(c) = d
		return nil
	}
}

func intSetter(field func(*Config) *int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return fmt.Errorf("must be a positive integer")
		}
		*field(c) = n
		return nil
	}
}

// DefaultConfig returns the configuration with every default applied.
func DefaultConfig() Config {
	var c Config
	for _, s := range Settings() {
		if err := s.set(&c, s.Default); err != nil {
			panic(fmt.Sprintf("default of %s: %v", s.Flag, err))
		}
	}
	return c
}

// RegisterFlags adds every setting to fs. Their defaults come from the
// environment (getenv) when set there, so flags override variables, which
// override built-in defaults. The returned function applies the parsed
// values to a Config.
func RegisterFlags(fs *flag.FlagSet, getenv func(string) string) func() (Config, error) {
	values := map[string]*string{}
	for _, s := range Settings() {
		def := s.Default
		if v := getenv(s.Env); v != "" {
			def = v
		}
		help := s.Help + " (" + s.Env + ")"
		if s.Flag == "demo" {
			// A boolean flag so that "--demo" works alone.
			b, _ := strconv.ParseBool(def)
			p := new(string)
			*p = strconv.FormatBool(b)
			fs.Var(boolFlag{p}, s.Flag, help)
			values[s.Flag] = p
			continue
		}
		values[s.Flag] = fs.String(s.Flag, def, help)
	}
	return func() (Config, error) {
		c := DefaultConfig()
		for _, s := range Settings() {
			if err := s.set(&c, *values[s.Flag]); err != nil {
				return c, fmt.Errorf("--%s / %s: %w", s.Flag, s.Env, err)
			}
		}
		return c, nil
	}
}

// boolFlag lets "--demo" stand alone; fs.Func flags need a value otherwise.
type boolFlag struct{ v *string }

func (b boolFlag) String() string {
	if b.v == nil {
		return "false"
	}
	return *b.v
}
func (b boolFlag) Set(s string) error { *b.v = s; return nil }
func (b boolFlag) IsBoolFlag() bool   { return true }
