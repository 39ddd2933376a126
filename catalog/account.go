package catalog

import (
	"strings"
	"time"
)

// Organization is a provider, developer, bureau or operator organisation.
type Organization struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	NameEn     string     `json:"name_en"`
	CreditCode string     `json:"credit_code"`
	Kind       string     `json:"kind"`
	Verified   bool       `json:"verified"`
	VerifiedBy string     `json:"verified_by,omitempty"`
	VerifiedAt *time.Time `json:"verified_at,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
}

// Validate checks an organisation.
func (o *Organization) Validate() error {
	var v Validation
	checkText(&v, "name", o.Name, 1, 200, "机构名称", "Name")
	checkText(&v, "name_en", o.NameEn, 0, 300, "英文名称", "English name")
	if !ValidCreditCode(o.CreditCode) {
		v.Add("credit_code", "credit_code", "统一社会信用代码无效（18 位，校验位须正确）", "the unified social credit code is invalid (18 characters with a correct check character)")
	}
	if !OrgKinds.Has(o.Kind) {
		v.Add("kind", "vocabulary", "机构类型须为 provider、developer、bureau 或 operator", "kind must be provider, developer, bureau or operator")
	}
	return v.Err()
}

// User statuses.
const (
	UserActive   = "active"
	UserDisabled = "disabled"
)

// User is a person who signs in. PasswordHash never leaves the service.
type User struct {
	ID           string     `json:"id"`
	Email        string     `json:"email"`
	Name         string     `json:"name"`
	PasswordHash string     `json:"password_hash,omitempty"`
	Roles        []string   `json:"roles"`
	OrgID        string     `json:"org_id,omitempty"`
	Status       string     `json:"status"`
	CreatedAt    time.Time  `json:"created_at"`
	LastLoginAt  *time.Time `json:"last_login_at,omitempty"`
}

// HasRole reports whether the user holds role.
func (u *User) HasRole(role string) bool {
	for _, r := range u.Roles {
		if r == role {
			return true
		}
	}
	return false
}

// Validate checks a user's profile fields (not the password).
func (u *User) Validate() error {
	var v Validation
	if e, ok := NormalizeEmail(u.Email); !ok {
		v.Add("email", "email", "邮箱地址无效", "the e-mail address is invalid")
	} else {
		u.Email = e
	}
	u.Name = strings.TrimSpace(u.Name)
	checkText(&v, "name", u.Name, 1, 100, "姓名", "Name")
	if len(u.Roles) == 0 {
		v.Add("roles", "required", "至少需要一个角色", "at least one role is required")
	}
	for _, r := range u.Roles {
		if !Roles.Has(r) {
			v.Add("roles", "vocabulary", "角色“"+r+"”无效", "role \""+r+"\" is not valid")
		}
	}
	if u.Status != UserActive && u.Status != UserDisabled {
		v.Add("status", "vocabulary", "状态须为 active 或 disabled", "status must be active or disabled")
	}
	return v.Err()
}

// Session is a signed-in browser or API client session. It is stored under
// the SHA-256 of its token; the token itself is only ever held by the client.
type Session struct {
	ID         string    `json:"id"` // hex SHA-256 of the token
	UserID     string    `json:"user_id"`
	CSRF       string    `json:"csrf"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"` // absolute expiry
	IP         string    `json:"ip,omitempty"`
	UserAgent  string    `json:"user_agent,omitempty"`
}

// APIToken is a personal access token. Only its hash is stored.
type APIToken struct {
	ID         string     `json:"id"`
	UserID     string     `json:"user_id"`
	Name       string     `json:"name"`
	Hash       string     `json:"hash,omitempty"`
	Prefix     string     `json:"prefix"` // the first characters, to recognise it in lists
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

// Principal is who is making a request: nobody (anonymous) or a user with
// their organisation.
type Principal struct {
	User *User
	Org  *Organization
	// SessionID is set when the request is authenticated by a session.
	SessionID string
	// TokenID is set when the request is authenticated by a personal token.
	TokenID string
	// CSRF is the session's anti-forgery token (sessions only).
	CSRF string
	// IP is the client address, for the audit trail.
	IP string
}

// Anonymous is the principal of a request without credentials.
var Anonymous = Principal{}

// SignedIn reports whether a user is behind the request.
func (p Principal) SignedIn() bool { return p.User != nil }

// Subject turns the principal into the ACL's subject.
func (p Principal) Subject() Subject {
	if p.User == nil {
		return Subject{}
	}
	s := Subject{UserID: p.User.ID, Roles: append([]string(nil), p.User.Roles...)}
	if p.Org != nil {
		s.Org = p.Org.ID
		s.OrgVerified = p.Org.Verified
	}
	return s
}

// Console is the principal of the operator at the command line (`portal
// user add`, `portal demo`): an administrator. It never comes from a request.
func Console() Principal {
	return Principal{User: &User{ID: "console", Name: "命令行", Roles: []string{RoleAdmin}, Status: UserActive}}
}
