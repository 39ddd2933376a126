// Package deploy holds the portal's deployment files — the container image
// (Dockerfile), a compose file with MongoDB and Meilisearch (compose.yaml)
// and Kubernetes manifests (k8s/) — and, in its test, the checks that keep
// them consistent with the portal's configuration: every PORTAL_* variable
// they set is a setting the portal knows, with a value it accepts, and the
// settings production needs are set. The Go package itself is empty.
package deploy
