package deploy

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"dataportal/server"
)

// The deployment files are checked as files: no Docker engine or cluster
// is needed (none runs where the tests do).

// knownSettings returns the PORTAL_* variables the portal reads.
func knownSettings() map[string]bool {
	out := map[string]bool{}
	for _, s := range server.Settings() {
		out[s.Env] = true
	}
	return out
}

// envVar is one variable a deployment file sets for the portal.
type envVar struct {
	value string
	// fromSecret: the value comes from a Secret (Kubernetes) or from the
	// operator's environment (${VAR} in compose), never written in the file.
	fromSecret bool
}

// checkPortalEnv applies the rules every deployment follows.
func checkPortalEnv(t *testing.T, file string, env map[string]envVar) {
	t.Helper()
	known := knownSettings()
	for name := range env {
		if strings.HasPrefix(name, "PORTAL_") && !known[name] {
			t.Errorf("%s sets %s, which is not a setting of the portal (server.Settings)", file, name)
		}
	}
	for _, name := range []string{"PORTAL_MONGODB_URI", "PORTAL_MEILI_URL", "PORTAL_MEILI_KEY", "PORTAL_ADDR", "PORTAL_TRUSTED_PROXIES", "PORTAL_SECURE_COOKIES"} {
		if v, ok := env[name]; !ok || (v.value == "" && !v.fromSecret) {
			t.Errorf("%s does not set %s", file, name)
		}
	}
	if v := env["PORTAL_MEILI_KEY"]; !v.fromSecret {
		t.Errorf("%s writes PORTAL_MEILI_KEY into the file; it must come from a secret", file)
	}
	if v := env["PORTAL_ADDR"]; !strings.HasPrefix(v.value, "0.0.0.0:") {
		t.Errorf("%s: PORTAL_ADDR %q must listen on 0.0.0.0 (a container's loopback is unreachable)", file, v.value)
	}
	if v := env["PORTAL_SECURE_COOKIES"]; v.value != "always" {
		t.Errorf("%s: PORTAL_SECURE_COOKIES %q; behind a TLS-terminating proxy it must be always", file, v.value)
	}
	if v := env["PORTAL_MONGODB_URI"]; !v.fromSecret && !strings.Contains(v.value, "replicaSet=") {
		t.Errorf("%s: PORTAL_MONGODB_URI %q does not name the replica set", file, v.value)
	}
	// The portal accepts every value: parse them as it does at start.
	vals := map[string]string{}
	for name, v := range env {
		switch {
		case v.fromSecret && name == "PORTAL_MONGODB_URI":
			vals[name] = "mongodb://mongo:27017/?replicaSet=rs0"
		case v.fromSecret:
			vals[name] = "secret-value"
		default:
			vals[name] = v.value
		}
	}
	fs := flag.NewFlagSet("portal", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	load := server.RegisterFlags(fs, func(k string) string { return vals[k] })
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	if _, err := load(); err != nil {
		t.Errorf("%s: the portal rejects its configuration: %v", file, err)
	}
}

// interpolated matches compose's ${VAR}, ${VAR:-default}, ${VAR:?message}.
var interpolated = regexp.MustCompile(`^\$\{([A-Z_][A-Z0-9_]*)(?:(:?[-?])([^}]*))?\}$`)

func TestCompose(t *testing.T) {
	var doc struct {
		Services map[string]struct {
			Image       string         `yaml:"image"`
			Build       map[string]any `yaml:"build"`
			Command     []string       `yaml:"command"`
			Environment map[string]any `yaml:"environment"`
			DependsOn   map[string]struct {
				Condition string `yaml:"condition"`
			} `yaml:"depends_on"`
			Healthcheck struct {
				Test []string `yaml:"test"`
			} `yaml:"healthcheck"`
			Ports   []string `yaml:"ports"`
			Volumes []string `yaml:"volumes"`
		} `yaml:"services"`
		Volumes map[string]any `yaml:"volumes"`
	}
	readYAML(t, "compose.yaml", &doc)

	mongo, ok := doc.Services["mongo"]
	if !ok || !strings.HasPrefix(mongo.Image, "mongo:7") {
		t.Fatalf("compose: no MongoDB 7 service (mongo: %q)", mongo.Image)
	}
	if !slices.Contains(mongo.Command, "--replSet") {
		t.Errorf("compose: MongoDB does not run as a replica set: %v", mongo.Command)
	}
	if hc := strings.Join(mongo.Healthcheck.Test, " "); !strings.Contains(hc, "rs.initiate") {
		t.Errorf("compose: nothing initiates the replica set (its health check does): %s", hc)
	}
	meili, ok := doc.Services["meilisearch"]
	if !ok || !strings.HasPrefix(meili.Image, "getmeili/meilisearch:v1") {
		t.Fatalf("compose: no Meilisearch v1 service (%q)", meili.Image)
	}
	if m := interpolated.FindStringSubmatch(str(meili.Environment["MEILI_MASTER_KEY"])); m == nil {
		t.Errorf("compose: MEILI_MASTER_KEY must come from the environment, is %q", meili.Environment["MEILI_MASTER_KEY"])
	}
	if len(meili.Healthcheck.Test) == 0 || len(mongo.Healthcheck.Test) == 0 {
		t.Error("compose: MongoDB and Meilisearch need health checks")
	}
	for name, s := range doc.Services {
		if name != "portal" && len(s.Ports) > 0 {
			t.Errorf("compose: %s publishes ports %v; only the portal should be reachable", name, s.Ports)
		}
		for _, v := range s.Volumes {
			vol, _, _ := strings.Cut(v, ":")
			if _, ok := doc.Volumes[vol]; !ok && !strings.HasPrefix(vol, ".") && !strings.HasPrefix(vol, "/") {
				t.Errorf("compose: %s uses volume %s, which is not declared", name, vol)
			}
		}
	}

	portal, ok := doc.Services["portal"]
	if !ok {
		t.Fatal("compose: no portal service")
	}
	if portal.Build["dockerfile"] != "deploy/Dockerfile" {
		t.Errorf("compose: the portal is not built from deploy/Dockerfile: %v", portal.Build)
	}
	for _, dep := range []string{"mongo", "meilisearch"} {
		if portal.DependsOn[dep].Condition != "service_healthy" {
			t.Errorf("compose: the portal does not wait for %s to be healthy", dep)
		}
	}
	if hc := strings.Join(portal.Healthcheck.Test, " "); !strings.Contains(hc, "healthcheck") {
		t.Errorf("compose: the portal has no health check: %q", hc)
	}
	env := map[string]envVar{}
	for k, v := range portal.Environment {
		s := str(v)
		if m := interpolated.FindStringSubmatch(s); m != nil {
			env[k] = envVar{value: m[3], fromSecret: true}
			if m[2] == ":-" || m[2] == "-" {
				env[k] = envVar{value: m[3]} // a default written in the file
			}
			continue
		}
		env[k] = envVar{value: s}
	}
	if env["PORTAL_MEILI_KEY"].fromSecret && str(portal.Environment["PORTAL_MEILI_KEY"]) != str(meili.Environment["MEILI_MASTER_KEY"]) {
		t.Errorf("compose: the portal's key %v is not Meilisearch's %v", portal.Environment["PORTAL_MEILI_KEY"], meili.Environment["MEILI_MASTER_KEY"])
	}
	if uri := env["PORTAL_MEILI_URL"].value; uri != "http://meilisearch:7700" {
		t.Errorf("compose: PORTAL_MEILI_URL %q does not name the meilisearch service", uri)
	}
	if uri := env["PORTAL_MONGODB_URI"].value; !strings.Contains(uri, "mongo:27017") {
		t.Errorf("compose: PORTAL_MONGODB_URI %q does not name the mongo service", uri)
	}
	checkPortalEnv(t, "compose.yaml", env)
}

func str(v any) string {
	if v == nil {
		return ""
	}
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := yaml.Marshal(v)
	return strings.TrimSpace(string(b))
}

func readYAML(t *testing.T, file string, v any) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(false)
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

// manifest is a Kubernetes object, decoded generically.
type manifest struct {
	file string
	obj  map[string]any
}

func (m manifest) kind() string { return str(m.obj["kind"]) }
func (m manifest) name() string { return str(get(m.obj, "metadata", "name")) }

// get follows keys through nested maps (and "0", "1", … through lists).
func get(v any, keys ...string) any {
	for _, k := range keys {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			i := 0
			for _, c := range k {
				i = i*10 + int(c-'0')
			}
			if i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func readManifests(t *testing.T) []manifest {
	t.Helper()
	files, err := filepath.Glob("k8s/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in k8s/: %v", err)
	}
	var out []manifest
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for {
			var obj map[string]any
			err := dec.Decode(&obj)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if obj == nil {
				continue
			}
			if obj["apiVersion"] == nil || obj["kind"] == nil {
				t.Errorf("%s: an object without apiVersion or kind", f)
			}
			out = append(out, manifest{file: f, obj: obj})
		}
	}
	return out
}

func TestKubernetes(t *testing.T) {
	ms := readManifests(t)
	byKind := map[string][]manifest{}
	for _, m := range ms {
		byKind[m.kind()] = append(byKind[m.kind()], m)
	}
	for _, kind := range []string{"Deployment", "Service", "ConfigMap", "Secret", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Ingress", "Kustomization"} {
		if len(byKind[kind]) == 0 {
			t.Errorf("k8s/: no %s", kind)
		}
	}
	if len(byKind["Deployment"]) != 1 {
		t.Fatalf("k8s/: want one Deployment, have %d", len(byKind["Deployment"]))
	}
	dep := byKind["Deployment"][0]
	podLabels, _ := get(dep.obj, "spec", "template", "metadata", "labels").(map[string]any)
	selects := func(sel any) bool {
		m, ok := sel.(map[string]any)
		if !ok || len(m) == 0 {
			return false
		}
		for k, v := range m {
			if podLabels[k] != v {
				return false
			}
		}
		return true
	}
	if !selects(get(dep.obj, "spec", "selector", "matchLabels")) {
		t.Error("the Deployment's selector does not match its pods")
	}

	// Every resource the kustomization lists exists; the Secret is not
	// applied with the rest (its real values live outside the repository).
	kust := byKind["Kustomization"][0]
	listed, _ := get(kust.obj, "resources").([]any)
	for _, m := range ms {
		if m.kind() == "Kustomization" {
			continue
		}
		in := slices.ContainsFunc(listed, func(r any) bool { return "k8s/"+str(r) == m.file })
		switch {
		case m.kind() == "Secret" && in:
			t.Errorf("the kustomization applies the example Secret %s", m.file)
		case m.kind() != "Secret" && !in:
			t.Errorf("the kustomization does not list %s", m.file)
		}
	}

	containers, _ := get(dep.obj, "spec", "template", "spec", "containers").([]any)
	if len(containers) != 1 {
		t.Fatalf("the Deployment has %d containers, want 1", len(containers))
	}
	c := containers[0]
	configMaps := map[string]map[string]any{}
	for _, m := range byKind["ConfigMap"] {
		data, _ := get(m.obj, "data").(map[string]any)
		configMaps[m.name()] = data
	}
	secretKeys := map[string]map[string]bool{}
	for _, m := range byKind["Secret"] {
		keys := map[string]bool{}
		for _, field := range []string{"stringData", "data"} {
			d, _ := get(m.obj, field).(map[string]any)
			for k := range d {
				keys[k] = true
			}
		}
		secretKeys[m.name()] = keys
	}
	env := map[string]envVar{}
	envFrom, _ := get(c, "envFrom").([]any)
	for _, ef := range envFrom {
		if name := str(get(ef, "configMapRef", "name")); name != "" {
			data, ok := configMaps[name]
			if !ok {
				t.Errorf("envFrom names ConfigMap %s, which is not in k8s/", name)
			}
			for k, v := range data {
				env[k] = envVar{value: str(v)}
			}
		}
		if name := str(get(ef, "secretRef", "name")); name != "" {
			for k := range secretKeys[name] {
				env[k] = envVar{fromSecret: true}
			}
		}
	}
	vars, _ := get(c, "env").([]any)
	for _, e := range vars {
		name := str(get(e, "name"))
		if ref := get(e, "valueFrom", "secretKeyRef"); ref != nil {
			sec, key := str(get(ref, "name")), str(get(ref, "key"))
			if !secretKeys[sec][key] {
				t.Errorf("%s comes from Secret %s key %s, which the example Secret does not have", name, sec, key)
			}
			env[name] = envVar{fromSecret: true}
			continue
		}
		env[name] = envVar{value: str(get(e, "value"))}
	}
	checkPortalEnv(t, "k8s/deployment.yaml", env)

	// Probes, on the port the portal listens on.
	_, port, _ := net.SplitHostPort(env["PORTAL_ADDR"].value)
	ports, _ := get(c, "ports").([]any)
	portNames := map[string]string{}
	for _, p := range ports {
		portNames[str(get(p, "name"))] = str(get(p, "containerPort"))
	}
	probe := func(kind, path string) {
		t.Helper()
		p := get(c, kind, "httpGet")
		if p == nil {
			t.Errorf("the portal container has no %s", kind)
			return
		}
		if got := str(get(p, "path")); got != path {
			t.Errorf("%s checks %s, want %s", kind, got, path)
		}
		pp := str(get(p, "port"))
		if named, ok := portNames[pp]; ok {
			pp = named
		}
		if pp != port {
			t.Errorf("%s checks port %s; the portal listens on %s", kind, pp, port)
		}
	}
	probe("readinessProbe", "/readyz")
	probe("livenessProbe", "/healthz")
	for _, k := range []string{"requests", "limits"} {
		for _, r := range []string{"cpu", "memory"} {
			if get(c, "resources", k, r) == nil {
				t.Errorf("the portal container has no resources.%s.%s", k, r)
			}
		}
	}
	if get(dep.obj, "spec", "template", "spec", "securityContext", "runAsNonRoot") != true {
		t.Error("the portal pod does not require a non-root user")
	}
	if get(c, "securityContext", "readOnlyRootFilesystem") != true || get(c, "securityContext", "allowPrivilegeEscalation") != false {
		t.Error("the portal container should have a read-only root and no privilege escalation")
	}

	// Service, autoscaler and disruption budget point at the Deployment.
	for _, s := range byKind["Service"] {
		if !selects(get(s.obj, "spec", "selector")) {
			t.Errorf("Service %s does not select the portal pods", s.name())
		}
		for _, p := range get(s.obj, "spec", "ports").([]any) {
			tp := str(get(p, "targetPort"))
			if named, ok := portNames[tp]; ok {
				tp = named
			}
			if tp != port {
				t.Errorf("Service %s sends to port %s; the portal listens on %s", s.name(), tp, port)
			}
		}
	}
	for _, h := range byKind["HorizontalPodAutoscaler"] {
		if str(get(h.obj, "spec", "scaleTargetRef", "kind")) != "Deployment" || str(get(h.obj, "spec", "scaleTargetRef", "name")) != dep.name() {
			t.Errorf("the autoscaler %s does not scale the Deployment", h.name())
		}
		if min, _ := get(h.obj, "spec", "minReplicas").(int); min < 2 {
			t.Errorf("the autoscaler allows %v replicas; at least 2 keep the portal up through a pod's loss", get(h.obj, "spec", "minReplicas"))
		}
	}
	for _, p := range byKind["PodDisruptionBudget"] {
		if !selects(get(p.obj, "spec", "selector", "matchLabels")) {
			t.Errorf("the disruption budget %s does not select the portal pods", p.name())
		}
	}
	for _, in := range byKind["Ingress"] {
		if get(in.obj, "spec", "tls") == nil {
			t.Errorf("Ingress %s does not terminate TLS", in.name())
		}
		if b := str(get(in.obj, "spec", "rules", "0", "http", "paths", "0", "backend", "service", "name")); b != byKind["Service"][0].name() {
			t.Errorf("Ingress %s sends to %q, not the portal's Service", in.name(), b)
		}
	}
}

// dockerStage is one FROM … stage of a Dockerfile.
type dockerStage struct {
	from  string
	lines []string
}

func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var stages []dockerStage
	// Join continuation lines first.
	text := strings.ReplaceAll(string(b), "\\\n", " ")
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if strings.EqualFold(fields[0], "FROM") {
			stages = append(stages, dockerStage{from: fields[1]})
			continue
		}
		if len(stages) > 0 {
			stages[len(stages)-1].lines = append(stages[len(stages)-1].lines, line)
		}
	}
	if len(stages) < 2 {
		t.Fatalf("Dockerfile has %d stages; want a build stage and a small runtime stage", len(stages))
	}
	build, final := stages[0], stages[len(stages)-1]
	if !strings.HasPrefix(build.from, "golang:") {
		t.Errorf("the build stage starts from %s, not a Go image", build.from)
	}
	joined := strings.Join(build.lines, "\n")
	if !strings.Contains(joined, "CGO_ENABLED=0") || !strings.Contains(joined, "./server/cmd/portal") {
		t.Error("the build stage does not build a static binary (CGO_ENABLED=0) of ./server/cmd/portal")
	}
	if !strings.Contains(final.from, "distroless/static") && !strings.HasPrefix(final.from, "alpine") && final.from != "scratch" {
		t.Errorf("the runtime stage starts from %s; want a small base (distroless static, alpine)", final.from)
	}
	user := ""
	for _, l := range final.lines {
		if f := strings.Fields(l); strings.EqualFold(f[0], "USER") {
			user = f[1]
		}
	}
	if user == "" && !strings.HasSuffix(final.from, ":nonroot") {
		t.Error("the runtime stage does not switch to a non-root user")
	}
	if u, _, _ := strings.Cut(user, ":"); u == "root" || u == "0" {
		t.Errorf("the runtime stage runs as %s", user)
	}
	if !strings.Contains(strings.Join(final.lines, "\n"), "PORTAL_ADDR=0.0.0.0:") {
		t.Error("the image does not listen on 0.0.0.0")
	}
}
