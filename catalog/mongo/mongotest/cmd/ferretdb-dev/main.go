// Command ferretdb-dev runs FerretDB (SQLite backend) in-process as a local
// MongoDB wire-protocol server for development, and prints its URI:
//
//	go run ./catalog/mongo/mongotest/cmd/ferretdb-dev
//	PORTAL_MONGODB_URI=mongodb://127.0.0.1:27017/ go run ./server/cmd/portal
//
// It is a development aid only: FerretDB v1 implements a subset of MongoDB
// and scans collections for most queries.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"dataportal/catalog/mongo/mongotest"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address to listen on")
	dir := flag.String("dir", "ferretdb-data", "directory for FerretDB's SQLite files")
	verbose := flag.Bool("v", false, "log FerretDB's messages")
	flag.Parse()

	if err := os.MkdirAll(*dir, 0o750); err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb-dev:", err)
		os.Exit(1)
	}
	var logger *slog.Logger
	if *verbose {
		logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	s, err := mongotest.Start(*listen, *dir, logger)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb-dev:", err)
		os.Exit(1)
	}
	fmt.Println(s.URI)
	fmt.Fprintf(os.Stderr, "ferretdb-dev: serving %s with data in %s; Ctrl-C stops\n", s.URI, *dir)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	s.Stop()
}
