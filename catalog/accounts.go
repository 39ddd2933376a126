package catalog

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Argon2Params is the cost of password hashing.
type Argon2Params struct {
	MemoryKiB uint32
	Time      uint32
	Threads   uint8
}

// The defaults follow OWASP's minimum for argon2id (19 MiB, 2 passes, 1 lane).
func (a *Argon2Params) defaults() {
	if a.MemoryKiB == 0 {
		a.MemoryKiB = 19 * 1024
	}
	if a.Time == 0 {
		a.Time = 2
	}
	if a.Threads == 0 {
		a.Threads = 1
	}
}

// HashPassword returns an argon2id hash in the PHC string format.
func HashPassword(password string, p Argon2Params) string {
	p.defaults()
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, 32)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// CheckPassword reports whether password matches a hash made by HashPassword.
func CheckPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var p Argon2Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 || p.MemoryKiB > 1<<22 || p.Time > 100 || p.Threads == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// checkPasswordStrength enforces a length floor; long passphrases in any
// script are welcome.
func checkPasswordStrength(v *Validation, pw string) {
	n := utf8.RuneCountInString(pw)
	switch {
	case n < 10:
		v.Add("password", "too_short", "密码至少 10 个字符", "the password needs at least 10 characters")
	case len(pw) > 256:
		v.Add("password", "too_long", "密码过长", "the password is too long")
	}
}

func hashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// apiTokenPrefix marks personal API tokens, so they are told apart from
// session tokens and recognisable when leaked (secret scanners).
const apiTokenPrefix = "dpt_"

// counter is a fixed-window counter kept in the store, so that every
// instance shares it (failed sign-ins per account and per address).
type counter struct {
	Count       int       `json:"count"`
	WindowStart time.Time `json:"window_start"`
	ExpiresAt   time.Time `json:"expires_at"`
}

// ---- organisations ----

// NewOrganization is the input for creating an organisation.
type NewOrganization struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	NameEn     string `json:"name_en"`
	CreditCode string `json:"credit_code"`
	Kind       string `json:"kind"`
	Verified   bool   `json:"verified"`
}

// CreateOrganization registers an organisation (administrators). Verified
// marks it verified at once, which needs the verify-org permission too.
func (s *Service) CreateOrganization(ctx context.Context, p Principal, in NewOrganization) (Organization, error) {
	if _, err := s.decide(ctx, p, ActManageAccounts, Resource{}); err != nil {
		return Organization{}, err
	}
	if in.Verified {
		if _, err := s.decide(ctx, p, ActVerifyOrg, Resource{}); err != nil {
			return Organization{}, err
		}
	}
	o := Organization{ID: strings.TrimSpace(in.ID), Name: strings.TrimSpace(in.Name), NameEn: strings.TrimSpace(in.NameEn),
		CreditCode: strings.ToUpper(strings.TrimSpace(in.CreditCode)), Kind: in.Kind, CreatedAt: s.now()}
	if o.ID == "" {
		o.ID = newID("org")
	}
	if in.Verified {
		now := s.now()
		o.Verified, o.VerifiedBy, o.VerifiedAt = true, p.User.ID, &now
	}
	var v Validation
	if !ValidSlug(o.ID) {
		v.Add("id", "slug", "标识须为 3–64 位小写字母、数字和连字符", "id must be 3–64 lower-case letters, digits and hyphens")
	}
	if err := o.Validate(); err != nil {
		v.Fields = append(v.Fields, err.(*Error).Fields...)
	}
	if err := v.Err(); err != nil {
		return o, err
	}
	if _, _, err := s.orgs.get(ctx, o.ID); err == nil {
		return o, &Error{Kind: KindConflict, Message: T("机构标识已被使用", "this organisation id is taken"),
			Fields: []FieldError{{Field: "id", Code: "duplicate", Message: T("已被使用", "taken")}}}
	}
	// Organisations have no audit outbox: the event goes first (see audit.go).
	if err := s.audit(ctx, p, "org.create", "org:"+o.ID, Decision{Allowed: true, Reason: T("管理员登记机构", "an administrator registered the organisation")},
		map[string]string{"verified": strconv.FormatBool(o.Verified), "credit_code": o.CreditCode}); err != nil {
		return o, err
	}
	if _, err := s.orgs.insert(ctx, o.ID, &o); err != nil {
		return o, err
	}
	return o, nil
}

// VerifyOrganization marks an organisation verified (or not).
func (s *Service) VerifyOrganization(ctx context.Context, p Principal, id string, verified bool) (Organization, error) {
	if _, err := s.decide(ctx, p, ActVerifyOrg, Resource{}); err != nil {
		return Organization{}, err
	}
	if _, _, err := s.orgs.get(ctx, id); err != nil {
		return Organization{}, err
	}
	if err := s.audit(ctx, p, "org.verify", "org:"+id, Decision{Allowed: true, Reason: T("机构认证状态变更", "organisation verification changed")},
		map[string]string{"verified": strconv.FormatBool(verified)}); err != nil {
		return Organization{}, err
	}
	o, _, err := s.orgs.update(ctx, id, func(o *Organization) error {
		now := s.now()
		o.Verified = verified
		o.VerifiedBy, o.VerifiedAt = p.User.ID, &now
		return nil
	})
	return o, err
}

// Organization returns an organisation. Organisations are public: their
// names appear on every dataset they publish.
func (s *Service) Organization(ctx context.Context, id string) (Organization, error) {
	o, _, err := s.orgs.get(ctx, id)
	return o, err
}

// Organizations lists organisations, optionally by kind, name order not
// guaranteed; offset paging.
func (s *Service) Organizations(ctx context.Context, kind string, offset, limit int) ([]Organization, int64, error) {
	var f []Filter
	if kind != "" {
		f = append(f, Where("kind", kind))
	}
	page, _, err := s.orgs.find(ctx, Query{Filters: f, Sort: "created_at", Offset: offset, Limit: limit})
	if err != nil {
		return nil, 0, err
	}
	n, err := s.orgs.c.Count(ctx, f...)
	out := make([]Organization, len(page))
	for i, f := range page {
		out[i] = f.V
	}
	return out, n, err
}

// FindOrganizationByName returns the organisation called name (zh or en is
// not distinguished; the first match by creation wins). NotFound if none.
func (s *Service) FindOrganizationByName(ctx context.Context, name string) (Organization, error) {
	page, _, err := s.orgs.find(ctx, Query{Filters: []Filter{Where("name", strings.TrimSpace(name))}, Sort: "created_at", Limit: 1})
	if err != nil {
		return Organization{}, err
	}
	if len(page) == 0 {
		return Organization{}, NotFound(s.orgs.name)
	}
	return page[0].V, nil
}

// ---- users ----

// NewUser is the input for creating a user.
type NewUser struct {
	Email    string   `json:"email"`
	Name     string   `json:"name"`
	Password string   `json:"password"`
	Roles    []string `json:"roles"`
	OrgID    string   `json:"org_id"`
}

// CreateUser adds a user (administrators). Returns Conflict if the e-mail
// address is taken, Invalid for bad input.
func (s *Service) CreateUser(ctx context.Context, p Principal, in NewUser) (User, error) {
	if _, err := s.decide(ctx, p, ActManageAccounts, Resource{}); err != nil {
		return User{}, err
	}
	u := User{ID: newID("u"), Email: in.Email, Name: in.Name, Roles: dedupe(in.Roles, strings.TrimSpace),
		OrgID: strings.TrimSpace(in.OrgID), Status: UserActive, CreatedAt: s.now()}
	var v Validation
	if err := u.Validate(); err != nil {
		v.Fields = append(v.Fields, err.(*Error).Fields...)
	}
	checkPasswordStrength(&v, in.Password)
	if u.OrgID != "" {
		if _, _, err := s.orgs.get(ctx, u.OrgID); IsKind(err, KindNotFound) {
			v.Add("org_id", "not_found", "机构不存在", "the organisation does not exist")
		} else if err != nil {
			return u, err
		}
	} else if u.HasRole(RoleProvider) || u.HasRole(RoleBureau) {
		v.Add("org_id", "required", "数据提供者和数据局用户必须属于一个机构", "providers and bureau users must belong to an organisation")
	}
	if err := v.Err(); err != nil {
		return u, err
	}
	u.PasswordHash = HashPassword(in.Password, s.opts.Argon)
	if err := s.audit(ctx, p, "user.create", "user:"+u.ID, Decision{Allowed: true, Reason: T("管理员创建账号", "an administrator created the account")},
		map[string]string{"roles": strings.Join(u.Roles, ","), "org": u.OrgID}); err != nil {
		return u, err
	}
	if _, err := s.users.insert(ctx, u.ID, &u); err != nil {
		if IsKind(err, KindConflict) {
			return u, &Error{Kind: KindConflict, Message: T("该邮箱已注册", "this e-mail address is already registered"),
				Fields: []FieldError{{Field: "email", Code: "duplicate", Message: T("该邮箱已注册", "already registered")}}}
		}
		return u, err
	}
	u.PasswordHash = ""
	return u, nil
}

// UserByEmail returns the user with this address (administrators and the
// command line).
func (s *Service) UserByEmail(ctx context.Context, email string) (User, error) {
	e, ok := NormalizeEmail(email)
	if !ok {
		return User{}, NotFound(s.users.name)
	}
	page, _, err := s.users.find(ctx, Query{Filters: []Filter{Where("email", e)}, Limit: 1})
	if err != nil {
		return User{}, err
	}
	if len(page) == 0 {
		return User{}, NotFound(s.users.name)
	}
	u := page[0].V
	return u, nil
}

// SetPassword replaces a user's password (administrators; users change
// their own with ChangePassword). The user's sessions end, so whoever held
// the old password is signed out everywhere; tokens stay (they are revoked
// on their own).
func (s *Service) SetPassword(ctx context.Context, p Principal, userID, password string) error {
	if _, err := s.decide(ctx, p, ActManageAccounts, Resource{}); err != nil {
		return err
	}
	return s.replacePassword(ctx, p, userID, password, "")
}

// ChangePassword changes the signed-in user's own password after checking
// the current one. The user's other sessions end.
func (s *Service) ChangePassword(ctx context.Context, p Principal, current, password string) error {
	if !p.SignedIn() {
		return &Error{Kind: KindUnauthenticated, Message: msgSignIn}
	}
	u, _, err := s.users.get(ctx, p.User.ID)
	if err != nil {
		return err
	}
	if !CheckPassword(u.PasswordHash, current) {
		_ = s.audit(ctx, p, "password.change.denied", "user:"+u.ID, Decision{Reason: T("当前密码错误", "wrong current password")}, nil)
		return &Error{Kind: KindInvalid, Message: T("当前密码错误", "the current password is wrong"),
			Fields: []FieldError{{Field: "current_password", Code: "wrong", Message: T("当前密码错误", "wrong password")}}}
	}
	if current == password {
		return &Error{Kind: KindInvalid, Message: T("新密码不能与当前密码相同", "the new password must differ from the current one"),
			Fields: []FieldError{{Field: "password", Code: "same", Message: T("与当前密码相同", "same as the current one")}}}
	}
	return s.replacePassword(ctx, p, u.ID, password, p.SessionID)
}

// replacePassword stores a new hash and ends the user's sessions but keep.
func (s *Service) replacePassword(ctx context.Context, p Principal, userID, password, keep string) error {
	var v Validation
	checkPasswordStrength(&v, password)
	if err := v.Err(); err != nil {
		return err
	}
	if _, _, err := s.users.get(ctx, userID); err != nil {
		return err
	}
	// Users have no audit outbox: the event goes first (see audit.go).
	if err := s.audit(ctx, p, "password.change", "user:"+userID, Decision{Allowed: true, Reason: T("密码已更换", "password changed")}, nil); err != nil {
		return err
	}
	h := HashPassword(password, s.opts.Argon)
	if _, _, err := s.users.update(ctx, userID, func(u *User) error { u.PasswordHash = h; return nil }); err != nil {
		return err
	}
	return s.sessions.each(ctx, []Filter{Where("user_id", userID)}, func(sess Session, rev int64) error {
		if sess.ID == keep {
			return nil
		}
		if err := s.sessions.delete(ctx, sess.ID, 0); err != nil && !IsKind(err, KindNotFound) {
			return err
		}
		return nil
	})
}

// ---- sign-in ----

// LoginResult is a new session: Token is the secret the client keeps (the
// cookie value, or a bearer token); it is not stored anywhere.
type LoginResult struct {
	Token   string
	Session Session
	User    User
	Org     *Organization
}

var errBadLogin = &Error{Kind: KindUnauthenticated, Message: T("邮箱或密码错误", "wrong e-mail address or password")}

// Login checks a password and opens a session. Failed attempts are counted
// per account and per client address in the store; past the limits it
// returns TooMany with the seconds to wait in Detail.
func (s *Service) Login(ctx context.Context, email, password, ip, userAgent string) (LoginResult, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	acctKey, ipKey := "login-acct:"+hashToken(email), "login-ip:"+ip
	anon := Principal{IP: ip}
	for _, l := range []struct {
		key string
		max int
	}{{acctKey, s.opts.LoginPerAccount}, {ipKey, s.opts.LoginPerIP}} {
		wait, err := s.limited(ctx, l.key, l.max)
		if err != nil {
			return LoginResult{}, err
		}
		if wait > 0 {
			_ = s.audit(ctx, anon, "login.limited", "account:"+email, Decision{Reason: T("登录失败次数过多", "too many failed sign-ins")}, nil)
			return LoginResult{}, tooMany(wait, nil)
		}
	}
	u, err := s.UserByEmail(ctx, email)
	if err != nil && !IsKind(err, KindNotFound) {
		return LoginResult{}, err
	}
	hash := s.dummyHash
	if err == nil {
		hash = u.PasswordHash
	}
	if ok := CheckPassword(hash, password); !ok || err != nil {
		if e := s.audit(ctx, anon, "login.failure", "account:"+email, Decision{Reason: errBadLogin.Message}, nil); e != nil {
			return LoginResult{}, e
		}
		if e := s.count(ctx, acctKey); e != nil {
			return LoginResult{}, e
		}
		if e := s.count(ctx, ipKey); e != nil {
			return LoginResult{}, e
		}
		return LoginResult{}, errBadLogin
	}
	if u.Status != UserActive {
		_ = s.audit(ctx, anon, "login.disabled", "user:"+u.ID, Decision{Reason: T("账号已停用", "account disabled")}, nil)
		return LoginResult{}, &Error{Kind: KindForbidden, Message: T("账号已停用，请联系管理员", "the account is disabled; contact an administrator")}
	}
	who := Principal{User: &u, IP: ip}
	if err := s.audit(ctx, who, "login.success", "user:"+u.ID, Decision{Allowed: true, Reason: T("密码正确", "correct password")}, nil); err != nil {
		return LoginResult{}, err
	}
	_ = s.counters.delete(ctx, acctKey, 0)

	now := s.now()
	token := randomToken(32)
	sess := Session{ID: hashToken(token), UserID: u.ID, CSRF: randomToken(20), CreatedAt: now, LastSeenAt: now,
		ExpiresAt: now.Add(s.opts.SessionMax), IP: ip, UserAgent: truncate(userAgent, 300)}
	if _, err := s.sessions.insert(ctx, sess.ID, &sess); err != nil {
		return LoginResult{}, err
	}
	u, _, err = s.users.update(ctx, u.ID, func(u *User) error { u.LastLoginAt = &now; return nil })
	if err != nil {
		return LoginResult{}, err
	}
	res := LoginResult{Token: token, Session: sess, User: u}
	res.User.PasswordHash = ""
	if u.OrgID != "" {
		if o, _, err := s.orgs.get(ctx, u.OrgID); err == nil {
			res.Org = &o
		}
	}
	return res, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func tooMany(wait time.Duration, err error) error {
	if err != nil {
		return err
	}
	secs := int(wait.Seconds()) + 1
	return &Error{Kind: KindTooMany, Message: T(fmt.Sprintf("登录失败次数过多，请 %d 分钟后再试", (secs+59)/60),
		fmt.Sprintf("too many failed sign-ins; try again in %d minutes", (secs+59)/60)), Detail: RetryAfter(secs)}
}

// RetryAfter is the Detail of a TooMany error: seconds to wait.
type RetryAfter int

// limited returns how long to wait if the counter key reached max in its window.
func (s *Service) limited(ctx context.Context, key string, max int) (time.Duration, error) {
	c, _, err := s.counters.get(ctx, key)
	if IsKind(err, KindNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	now := s.now()
	end := c.WindowStart.Add(s.opts.LoginWindow)
	if c.Count >= max && now.Before(end) {
		return end.Sub(now), nil
	}
	return 0, nil
}

// count adds one to the counter key, starting a new window when the old
// one is over. Safe across instances: a single-document write guarded by rev.
func (s *Service) count(ctx context.Context, key string) error {
	for attempt := 0; attempt < 20; attempt++ {
		now := s.now()
		_, _, err := s.counters.update(ctx, key, func(c *counter) error {
			if now.Sub(c.WindowStart) >= s.opts.LoginWindow {
				c.Count, c.WindowStart = 0, now
			}
			c.Count++
			c.ExpiresAt = c.WindowStart.Add(s.opts.LoginWindow)
			return nil
		})
		if !IsKind(err, KindNotFound) {
			return err
		}
		c := counter{Count: 1, WindowStart: now, ExpiresAt: now.Add(s.opts.LoginWindow)}
		_, err = s.counters.insert(ctx, key, &c)
		if !IsKind(err, KindConflict) {
			return err
		}
		// Another instance created it first: count again on top of theirs.
	}
	return &Error{Kind: KindUnavailable, Message: T("系统繁忙，请稍后再试", "busy; try again later")}
}

// Logout ends a session.
func (s *Service) Logout(ctx context.Context, p Principal) error {
	if p.SessionID == "" {
		return nil
	}
	err := s.sessions.delete(ctx, p.SessionID, 0)
	if IsKind(err, KindNotFound) {
		return nil
	}
	return err
}

var errSessionOver = &Error{Kind: KindUnauthenticated, Message: T("登录已过期，请重新登录", "your session has ended; sign in again")}

// Authenticate resolves a session token or a personal API token to its
// principal. Unauthenticated if it is unknown, expired or revoked.
func (s *Service) Authenticate(ctx context.Context, token string) (Principal, error) {
	if token == "" || len(token) > 200 {
		return Anonymous, errSessionOver
	}
	now := s.now()
	if strings.HasPrefix(token, apiTokenPrefix) {
		page, _, err := s.tokens.find(ctx, Query{Filters: []Filter{Where("hash", hashToken(token))}, Limit: 1})
		if err != nil {
			return Anonymous, err
		}
		if len(page) == 0 {
			return Anonymous, &Error{Kind: KindUnauthenticated, Message: T("API 令牌无效", "invalid API token")}
		}
		t := page[0].V
		if t.RevokedAt != nil || (t.ExpiresAt != nil && !now.Before(*t.ExpiresAt)) {
			return Anonymous, &Error{Kind: KindUnauthenticated, Message: T("API 令牌已撤销或过期", "the API token was revoked or has expired")}
		}
		p, err := s.principal(ctx, t.UserID)
		if err != nil {
			return Anonymous, err
		}
		p.TokenID = t.ID
		if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > time.Minute {
			_, _, _ = s.tokens.update(ctx, t.ID, func(t *APIToken) error { t.LastUsedAt = &now; return nil })
		}
		return p, nil
	}
	id := hashToken(token)
	sess, _, err := s.sessions.get(ctx, id)
	if IsKind(err, KindNotFound) {
		return Anonymous, errSessionOver
	}
	if err != nil {
		return Anonymous, err
	}
	if !now.Before(sess.ExpiresAt) || !now.Before(sess.LastSeenAt.Add(s.opts.SessionIdle)) {
		_ = s.sessions.delete(ctx, id, 0)
		return Anonymous, errSessionOver
	}
	p, err := s.principal(ctx, sess.UserID)
	if err != nil {
		return Anonymous, err
	}
	p.SessionID = id
	p.CSRF = sess.CSRF
	if now.Sub(sess.LastSeenAt) > time.Minute {
		// Touching at most once a minute keeps reads from becoming writes.
		_, _, _ = s.sessions.update(ctx, id, func(x *Session) error { x.LastSeenAt = now; return nil })
	}
	return p, nil
}

// principal loads an active user and their organisation.
func (s *Service) principal(ctx context.Context, userID string) (Principal, error) {
	u, _, err := s.users.get(ctx, userID)
	if IsKind(err, KindNotFound) {
		return Anonymous, errSessionOver
	}
	if err != nil {
		return Anonymous, err
	}
	if u.Status != UserActive {
		return Anonymous, &Error{Kind: KindUnauthenticated, Message: T("账号已停用", "the account is disabled")}
	}
	u.PasswordHash = ""
	p := Principal{User: &u}
	if u.OrgID != "" {
		o, _, err := s.orgs.get(ctx, u.OrgID)
		if err != nil && !IsKind(err, KindNotFound) {
			return Anonymous, err
		}
		if err == nil {
			p.Org = &o
		}
	}
	return p, nil
}

// ---- personal API tokens ----

// NewToken is a created token: Secret is shown once and never stored.
type NewToken struct {
	Secret string   `json:"token"`
	Token  APIToken `json:"info"`
}

// CreateToken issues a personal API token for the signed-in user. ttl 0
// means no expiry.
func (s *Service) CreateToken(ctx context.Context, p Principal, name string, ttl time.Duration) (NewToken, error) {
	if !p.SignedIn() {
		return NewToken{}, &Error{Kind: KindUnauthenticated, Message: msgSignIn}
	}
	var v Validation
	name = strings.TrimSpace(name)
	checkText(&v, "name", name, 1, 100, "令牌名称", "Token name")
	if ttl < 0 || ttl > 5*365*24*time.Hour {
		v.Add("expires_in_days", "range", "有效期须在 0–1825 天之间", "expiry must be 0–1825 days")
	}
	if err := v.Err(); err != nil {
		return NewToken{}, err
	}
	n, err := s.tokens.c.Count(ctx, Where("user_id", p.User.ID))
	if err != nil {
		return NewToken{}, err
	}
	if n >= 50 {
		return NewToken{}, &Error{Kind: KindConflict, Message: T("令牌数量已达上限（50），请先撤销不用的令牌", "you have 50 tokens; revoke unused ones first")}
	}
	secret := apiTokenPrefix + randomToken(30)
	now := s.now()
	t := APIToken{ID: newID("tok"), UserID: p.User.ID, Name: name, Hash: hashToken(secret), Prefix: secret[:10], CreatedAt: now}
	if ttl > 0 {
		exp := now.Add(ttl)
		t.ExpiresAt = &exp
	}
	if _, err := s.tokens.insert(ctx, t.ID, &t); err != nil {
		return NewToken{}, err
	}
	t.Hash = ""
	return NewToken{Secret: secret, Token: t}, nil
}

// Tokens lists the signed-in user's tokens, newest first, without hashes.
func (s *Service) Tokens(ctx context.Context, p Principal) ([]APIToken, error) {
	if !p.SignedIn() {
		return nil, &Error{Kind: KindUnauthenticated, Message: msgSignIn}
	}
	page, _, err := s.tokens.find(ctx, Query{Filters: []Filter{Where("user_id", p.User.ID)}, Sort: "created_at", Desc: true, Limit: 100})
	if err != nil {
		return nil, err
	}
	out := make([]APIToken, 0, len(page))
	for _, f := range page {
		t := f.V
		t.Hash = ""
		out = append(out, t)
	}
	return out, nil
}

// RevokeToken revokes one of the signed-in user's tokens. A token of
// someone else answers NotFound.
func (s *Service) RevokeToken(ctx context.Context, p Principal, id string) error {
	if !p.SignedIn() {
		return &Error{Kind: KindUnauthenticated, Message: msgSignIn}
	}
	_, _, err := s.tokens.update(ctx, id, func(t *APIToken) error {
		if t.UserID != p.User.ID {
			return NotFound(s.tokens.name)
		}
		if t.RevokedAt != nil {
			return errUnchanged
		}
		now := s.now()
		t.RevokedAt = &now
		return nil
	})
	return err
}

// Sweep deletes expired sessions and counters. The portal runs it
// periodically; any instance may, the writes are idempotent.
func (s *Service) Sweep(ctx context.Context) error {
	now := s.now()
	for _, r := range []struct {
		c Collection
		f string
	}{{s.sessions.c, "expires_at"}, {s.counters.c, "expires_at"}} {
		page, err := r.c.Find(ctx, Query{Filters: []Filter{{Field: r.f, Op: Lt, Value: now}}, Limit: 500})
		if err != nil {
			return err
		}
		for _, d := range page.Docs {
			if err := r.c.Delete(ctx, d.ID, d.Rev); err != nil && !IsKind(err, KindNotFound) && !IsKind(err, KindConflict) {
				return err
			}
		}
	}
	// Sessions idle past the idle timeout end at their next use; their
	// absolute expiry removes them here.
	return nil
}

var msgSignIn = T("请先登录", "sign in first")

// PrincipalOf returns the principal of an active user, as if they had
// signed in (the demo loader acts as its accounts).
func (s *Service) PrincipalOf(ctx context.Context, userID string) (Principal, error) {
	return s.principal(ctx, userID)
}

// Users lists users, newest first, for administrators.
func (s *Service) Users(ctx context.Context, p Principal, offset, limit int) ([]User, int64, error) {
	if _, err := s.decide(ctx, p, ActManageAccounts, Resource{}); err != nil {
		return nil, 0, err
	}
	page, _, err := s.users.find(ctx, Query{Sort: "created_at", Desc: true, Offset: offset, Limit: limit})
	if err != nil {
		return nil, 0, err
	}
	n, err := s.users.c.Count(ctx)
	out := make([]User, len(page))
	for i, f := range page {
		out[i] = f.V
		out[i].PasswordHash = ""
	}
	return out, n, err
}

// SetUserStatus enables or disables a user (administrators). Disabling ends
// the user's sessions at their next request and refuses their tokens.
func (s *Service) SetUserStatus(ctx context.Context, p Principal, userID, status string) (User, error) {
	if _, err := s.decide(ctx, p, ActManageAccounts, Resource{}); err != nil {
		return User{}, err
	}
	if status != UserActive && status != UserDisabled {
		return User{}, &Error{Kind: KindInvalid, Message: T("状态须为 active 或 disabled", "status must be active or disabled"),
			Fields: []FieldError{{Field: "status", Code: "vocabulary", Message: T("active 或 disabled", "active or disabled")}}}
	}
	if p.User != nil && p.User.ID == userID && status == UserDisabled {
		return User{}, &Error{Kind: KindConflict, Message: T("不能停用自己的账号", "you cannot disable your own account")}
	}
	if _, _, err := s.users.get(ctx, userID); err != nil {
		return User{}, err
	}
	// Users have no audit outbox: the event goes first (see audit.go).
	if err := s.audit(ctx, p, "user."+status, "user:"+userID, Decision{Allowed: true, Reason: T("管理员变更账号状态", "an administrator changed the account status")}, nil); err != nil {
		return User{}, err
	}
	u, _, err := s.users.update(ctx, userID, func(u *User) error {
		if u.Status == status {
			return errUnchanged
		}
		u.Status = status
		return nil
	})
	if err != nil {
		return User{}, err
	}
	u.PasswordHash = ""
	return u, nil
}

// MayVerifyOrganizations reports, as an error with its explanation, why the
// caller may not verify organisations (nil if they may); the organisations
// page asks before it shows its forms.
func (s *Service) MayVerifyOrganizations(ctx context.Context, p Principal) error {
	_, err := s.decide(ctx, p, ActVerifyOrg, Resource{})
	return err
}
