// Command portal runs the dataportal server and its maintenance commands.
//
//	portal [serve] [--demo]            serve the portal (the default)
//	portal user add --email E --password P --role R [--org NAME] [--credit-code C]
//	portal demo                        load the demo catalogue and print its accounts
//	portal reindex                     rebuild the search index from the store
//	portal audit verify                check the audit trail's hash chain
//	portal import FILE --as EMAIL      register datasets from JSONL or a CKAN dump
//	portal backup --out FILE           copy the SQLite store consistently while serving
//	portal healthcheck [--ready]       ask the portal on this host whether it is alive (ready)
//
// Every command takes the configuration flags of serve and the PORTAL_*
// environment variables (see README.md).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"dataportal/catalog"
	"dataportal/catalog/demo"
	"dataportal/server"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command and returns the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	if cmd == "audit" {
		if len(args) == 0 || args[0] != "verify" {
			fmt.Fprintln(stderr, "usage: portal audit verify")
			return 2
		}
		cmd, args = "audit verify", args[1:]
	}
	if cmd == "user" {
		if len(args) == 0 || args[0] != "add" {
			fmt.Fprintln(stderr, "usage: portal user add --email E --password P --role R [--name N] [--org NAME] [--credit-code C]")
			return 2
		}
		cmd, args = "user add", args[1:]
	}
	fs := flag.NewFlagSet("portal "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	load := server.RegisterFlags(fs, getenv)
	var err error
	switch cmd {
	case "serve":
		if err = parse(fs, args); err == nil {
			err = serve(ctx, load, stdout, stderr)
		}
	case "user add":
		email := fs.String("email", "", "e-mail address (required)")
		password := fs.String("password", "", "password, at least 10 characters (required)")
		roles := fs.String("role", "", "developer, provider, bureau or admin; comma-separated for several (required)")
		name := fs.String("name", "", "display name (default: the part of the address before @)")
		org := fs.String("org", "", "organisation name; created and verified if it does not exist")
		code := fs.String("credit-code", "", "unified social credit code of a new organisation")
		if err = parse(fs, args); err == nil {
			err = withService(ctx, load, stderr, false, func(ctx context.Context, svc *catalog.Service) error {
				return addUser(ctx, svc, stdout, *email, *password, *roles, *name, *org, *code)
			})
		}
	case "demo":
		if err = parse(fs, args); err == nil {
			err = withService(ctx, load, stderr, true, func(ctx context.Context, svc *catalog.Service) error {
				return demo.Load(ctx, svc, stdout)
			})
		}
	case "import":
		as := fs.String("as", "", "e-mail address of the provider user the datasets are registered by (required)")
		domain := fs.String("domain", "", "domain of records that do not say (CKAN dumps)")
		modality := fs.String("modality", "", "modality of records that do not say")
		tier := fs.String("tier", "", "tier of records that do not say")
		license := fs.String("license", "", "licence of records that do not say")
		publish := fs.Bool("publish", false, "publish the imported datasets (default: drafts)")
		if err = fs.Parse(args); err == nil {
			if fs.NArg() != 1 {
				err = errors.New("usage: portal import FILE --as EMAIL [--domain D --modality M --tier T --license L --publish]")
				break
			}
			file := fs.Arg(0)
			err = withService(ctx, load, stderr, true, func(ctx context.Context, svc *catalog.Service) error {
				return importDatasets(ctx, svc, stdout, file, *as, catalog.ImportDefaults{Domain: *domain, Modality: *modality,
					Tier: catalog.Tier(*tier), License: *license, Publish: *publish})
			})
		}
	case "audit verify":
		if err = parse(fs, args); err == nil {
			err = withService(ctx, load, stderr, false, func(ctx context.Context, svc *catalog.Service) error {
				return verifyAudit(ctx, svc, stdout)
			})
		}
	case "reindex":
		if err = parse(fs, args); err == nil {
			err = reindex(ctx, load, stdout, stderr)
		}
	case "backup":
		out := fs.String("out", "", "file to write the SQLite backup to (must not exist)")
		if err = parse(fs, args); err == nil {
			err = backup(ctx, load, *out, stdout)
		}
	case "healthcheck":
		ready := fs.Bool("ready", false, "ask /readyz (store reachable) instead of /healthz (process alive)")
		if err = parse(fs, args); err == nil {
			err = healthcheck(ctx, load, *ready, stdout)
		}
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, "commands: serve (default), user add, demo, import, reindex, audit verify, backup, healthcheck; 'portal COMMAND -h' lists flags")
		return 0
	default:
		fmt.Fprintf(stderr, "portal: unknown command %q (serve, user add, demo, import, reindex, audit verify, backup, healthcheck)\n", cmd)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "portal:", userMessage(err))
		return 1
	}
	return 0
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// userMessage shows a domain error's message with its field errors.
func userMessage(err error) string {
	var de *catalog.Error
	if errors.As(err, &de) && de.Kind != catalog.KindInternal {
		msg := de.Message.Zh + " / " + de.Message.En
		for _, f := range de.Fields {
			msg += fmt.Sprintf("\n  %s: %s / %s", f.Field, f.Message.Zh, f.Message.En)
		}
		return msg
	}
	return err.Error()
}

func newLogger(cfg server.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func serve(ctx context.Context, load func() (server.Config, error), stdout, stderr io.Writer) error {
	cfg, err := load()
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	app, err := server.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer app.Close()
	if cfg.Demo {
		if err := demo.LoadIfEmpty(ctx, app.Service(), stdout); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "dataportal 门户已启动 / serving on http://%s\n", ln.Addr())
	return app.Serve(ctx, ln)
}

// withService runs fn with a service over the configured store. The index
// is opened when the command needs it (and fails if a server holds it).
func withService(ctx context.Context, load func() (server.Config, error), stderr io.Writer, needIndex bool, fn func(context.Context, *catalog.Service) error) error {
	cfg, err := load()
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil && cfg.MongoURI == "" {
		return err
	}
	store, err := server.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	var index catalog.Index
	if needIndex {
		if index, err = server.OpenIndex(cfg); err != nil {
			return fmt.Errorf("open index (is a portal serving from this data directory? stop it first): %w", err)
		}
		defer index.Close()
	}
	svc, _, err := server.NewService(ctx, cfg, log, store, index)
	if err != nil {
		return err
	}
	if err := fn(ctx, svc); err != nil {
		return err
	}
	if needIndex {
		// Index what the command wrote, so a server started next finds it.
		return svc.Reconcile(ctx)
	}
	return nil
}

func addUser(ctx context.Context, svc *catalog.Service, out io.Writer, email, password, roles, name, orgName, code string) error {
	if email == "" || password == "" || roles == "" {
		return errors.New("--email, --password and --role are required")
	}
	console := catalog.Console()
	rs := strings.Split(roles, ",")
	if name == "" {
		name, _, _ = strings.Cut(email, "@")
	}
	orgID := ""
	if orgName != "" {
		o, err := svc.FindOrganizationByName(ctx, orgName)
		switch {
		case err == nil:
			if code != "" && !strings.EqualFold(o.CreditCode, code) {
				return fmt.Errorf("organisation %q exists with another credit code (%s)", orgName, o.CreditCode)
			}
		case catalog.IsKind(err, catalog.KindNotFound):
			if code == "" {
				return fmt.Errorf("organisation %q does not exist; give --credit-code to create it", orgName)
			}
			kind := map[string]string{catalog.RoleProvider: "provider", catalog.RoleDeveloper: "developer", catalog.RoleBureau: "bureau", catalog.RoleAdmin: "operator"}[strings.TrimSpace(rs[0])]
			if o, err = svc.CreateOrganization(ctx, console, catalog.NewOrganization{Name: orgName, CreditCode: code, Kind: kind, Verified: true}); err != nil {
				return err
			}
			fmt.Fprintf(out, "created and verified organisation %s (%s)\n", o.Name, o.ID)
		default:
			return err
		}
		orgID = o.ID
	}
	u, err := svc.CreateUser(ctx, console, catalog.NewUser{Email: email, Name: name, Password: password, Roles: rs, OrgID: orgID})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "created user %s (%s) with roles %s\n", u.Email, u.ID, strings.Join(u.Roles, ","))
	return nil
}

// reindex rebuilds the index itself when no server holds it, or asks the
// serving instance to rebuild (through the store) and waits for it.
func reindex(ctx context.Context, load func() (server.Config, error), stdout, stderr io.Writer) error {
	cfg, err := load()
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	store, err := server.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	index, ierr := server.OpenIndex(cfg)
	var svc *catalog.Service
	if ierr == nil {
		defer index.Close()
		if svc, _, err = server.NewService(ctx, cfg, log, store, index); err != nil {
			return err
		}
		// Rebuild here unless a serving portal holds the indexer lease
		// (portals sharing a Meilisearch): then ask it, as below.
		n, err := svc.ReindexExclusive(ctx)
		if err == nil {
			fmt.Fprintf(stdout, "索引已重建 / index rebuilt: %d datasets\n", n)
			return nil
		}
		if !errors.Is(err, catalog.ErrIndexBusy) {
			return err
		}
	} else {
		// The embedded index is held by the portal serving from this
		// data directory.
		if !catalog.IsKind(ierr, catalog.KindUnavailable) {
			return ierr
		}
		if svc, _, err = server.NewService(ctx, cfg, log, store, nil); err != nil {
			return err
		}
	}
	if err := svc.RequestReindex(ctx); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "a running portal maintains the index; asked it to rebuild")
	deadline := time.Now().Add(30 * time.Minute)
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
		state, err := svc.ReindexState(ctx)
		if err != nil {
			return err
		}
		if state == "done" {
			fmt.Fprintln(stdout, "索引已重建 / index rebuilt by the running portal")
			return nil
		}
	}
	return errors.New("the running portal did not finish the rebuild in 30 minutes; it will go on trying")
}

func backup(ctx context.Context, load func() (server.Config, error), out string, stdout io.Writer) error {
	cfg, err := load()
	if err != nil {
		return err
	}
	if cfg.MongoURI != "" {
		return errors.New("the store is MongoDB: back it up with mongodump (see deploy/README.md)")
	}
	if out == "" {
		out = fmt.Sprintf("portal-backup-%s.db", time.Now().UTC().Format("20060102T150405Z"))
	}
	store, err := server.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	b, ok := store.(interface {
		Backup(context.Context, string) error
	})
	if !ok {
		return errors.New("this store cannot be backed up by the portal")
	}
	if err := b.Backup(ctx, out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "store backed up to %s (the search index is rebuilt from it; blobs are under %s)\n", out, cfg.DataDir)
	return nil
}

// errAuditBroken makes `portal audit verify` exit non-zero.
var errAuditBroken = errors.New("the audit trail is broken")

func verifyAudit(ctx context.Context, svc *catalog.Service, out io.Writer) error {
	// Events still in outboxes belong at the end of the chain.
	if err := svc.FlushAudit(ctx); err != nil {
		return err
	}
	n, problem, err := svc.VerifyAudit(ctx)
	if err != nil {
		return err
	}
	if problem != nil {
		fmt.Fprintf(out, "审计日志已损坏 / audit trail BROKEN at event %d (stored as %s): %s\n(%d events read)\n", problem.Seq, problem.Key, problem.Reason, n)
		return errAuditBroken
	}
	fmt.Fprintf(out, "审计日志完整 / audit trail intact: %d events\n", n)
	return nil
}

// healthcheck asks the portal listening on this host's PORTAL_ADDR for
// /healthz (or /readyz): the container health check of images without a
// shell or curl (distroless).
func healthcheck(ctx context.Context, load func() (server.Config, error), ready bool, stdout io.Writer) error {
	cfg, err := load()
	if err != nil {
		return err
	}
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return fmt.Errorf("PORTAL_ADDR %q: %w", cfg.Addr, err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	path := "/healthz"
	if ready {
		path = "/readyz"
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %d: %s", path, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	fmt.Fprintf(stdout, "%s: %s\n", path, strings.TrimSpace(string(body)))
	return nil
}

// importDatasets registers the datasets of file as the provider user as.
func importDatasets(ctx context.Context, svc *catalog.Service, out io.Writer, file, as string, def catalog.ImportDefaults) error {
	if as == "" {
		return errors.New("--as is required: the e-mail address of a provider user of the organisation the datasets belong to")
	}
	u, err := svc.UserByEmail(ctx, as)
	if err != nil {
		return fmt.Errorf("--as %s: %w", as, err)
	}
	p, err := svc.PrincipalOf(ctx, u.ID)
	if err != nil {
		return err
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	rep, err := svc.ImportDatasets(ctx, p, f, def)
	for _, pr := range rep.Problems {
		for _, fe := range pr.Fields {
			fmt.Fprintf(out, "record %d %s: %s: %s / %s\n", pr.Record, pr.ID, fe.Field, fe.Message.Zh, fe.Message.En)
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "导入完成 / imported (%s): %d read, %d created, %d skipped (id taken)\n", rep.Format, rep.Read, len(rep.Created), len(rep.Skipped))
	return nil
}
