package catalog

import (
	"errors"
	"fmt"
)

// Kind classifies an error by what the caller can do about it. One function
// in server maps kinds to HTTP statuses; nothing else does.
type Kind int

// Error kinds.
const (
	KindInternal        Kind = iota // a bug or an unexpected failure; details are logged, never shown
	KindInvalid                     // the input is wrong; Fields says where
	KindNotFound                    // the object does not exist, or the caller may not know it does
	KindUnauthenticated             // the caller must sign in
	KindForbidden                   // the caller is known and may see the object but not do this
	KindConflict                    // a concurrent change or a uniqueness violation
	KindPrecondition                // an If-Match revision did not match
	KindTooMany                     // a rate limit was hit
	KindUnavailable                 // a dependency is down; retrying later may help
)

var kindNames = map[Kind]string{
	KindInternal:        "internal",
	KindInvalid:         "invalid",
	KindNotFound:        "not-found",
	KindUnauthenticated: "unauthenticated",
	KindForbidden:       "forbidden",
	KindConflict:        "conflict",
	KindPrecondition:    "precondition-failed",
	KindTooMany:         "too-many-requests",
	KindUnavailable:     "unavailable",
}

// String returns the stable slug of the kind, used in problem "type" URIs.
func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return "internal"
}

// Text is a user-visible message in Chinese (the default) and English.
type Text struct {
	Zh string `json:"zh"`
	En string `json:"en"`
}

// T builds a Text.
func T(zh, en string) Text { return Text{Zh: zh, En: en} }

// In returns the message in the language lang ("en" or anything else for Chinese).
func (t Text) In(lang string) string {
	if lang == "en" && t.En != "" {
		return t.En
	}
	return t.Zh
}

// IsZero reports whether the text is empty.
func (t Text) IsZero() bool { return t.Zh == "" && t.En == "" }

// FieldError says what is wrong with one input field.
type FieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message Text   `json:"message"`
}

// Error is the error type of the domain. Message is safe to show to users;
// Err is the cause, for logs only.
type Error struct {
	Kind    Kind
	Message Text
	Fields  []FieldError
	// Detail carries structured, user-safe context (for example an access
	// decision with its explanation on a Forbidden error).
	Detail any
	Err    error
}

func (e *Error) Error() string {
	msg := e.Message.En
	if msg == "" {
		msg = e.Message.Zh
	}
	if msg == "" {
		msg = e.Kind.String()
	}
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Kind, msg, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Kind, msg)
}

func (e *Error) Unwrap() error { return e.Err }

// E builds an Error of the given kind with a bilingual message.
func E(kind Kind, zh, en string) *Error {
	return &Error{Kind: kind, Message: T(zh, en)}
}

// Wrap returns an Error of the given kind that keeps err as its cause.
func Wrap(kind Kind, err error, zh, en string) *Error {
	return &Error{Kind: kind, Message: T(zh, en), Err: err}
}

// Internal wraps an unexpected error; its message is never shown to users.
func Internal(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	var de *Error
	if errors.As(err, &de) && de.Kind != KindInternal {
		return err
	}
	return &Error{Kind: KindInternal, Err: fmt.Errorf(format+": %w", append(args, err)...)}
}

// ErrorKind returns the kind of err, KindInternal for foreign errors.
func ErrorKind(err error) Kind {
	var de *Error
	if errors.As(err, &de) {
		return de.Kind
	}
	return KindInternal
}

// IsKind reports whether err has the given kind.
func IsKind(err error, k Kind) bool { return err != nil && ErrorKind(err) == k }

// NotFound is the standard "does not exist" error. It is also what a caller
// gets for an object it may not see, so the two cannot be told apart.
func NotFound(what Text) *Error {
	return &Error{Kind: KindNotFound, Message: T(what.Zh+"不存在", what.En+" not found")}
}

// Validation accumulates field errors and turns them into one Invalid error.
type Validation struct {
	Fields []FieldError
}

// Add records a problem with field.
func (v *Validation) Add(field, code, zh, en string) {
	v.Fields = append(v.Fields, FieldError{Field: field, Code: code, Message: T(zh, en)})
}

// Err returns nil when nothing was recorded, else an Invalid error listing the fields.
func (v *Validation) Err() error {
	if len(v.Fields) == 0 {
		return nil
	}
	return &Error{Kind: KindInvalid, Message: T("输入有误，请检查标出的字段", "The input is invalid; check the listed fields"), Fields: v.Fields}
}
