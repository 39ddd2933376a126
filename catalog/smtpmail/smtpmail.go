// Package smtpmail sends the portal's notification e-mail through an SMTP
// server (net/smtp): STARTTLS when the server offers it, or implicit TLS
// for smtps:// URLs, and PLAIN authentication when the URL has a user.
package smtpmail

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"net/url"
	"strings"
	"time"

	"dataportal/catalog"
)

// Mailer sends e-mail through one SMTP server.
type Mailer struct {
	addr     string // host:port
	host     string
	user     string
	password string
	from     mail.Address
	implicit bool // smtps://: TLS from the first byte
	// TLS is the client TLS configuration; tests may set RootCAs.
	TLS *tls.Config
}

var _ catalog.Mailer = (*Mailer)(nil)

// Parse reads smtp://user:pass@host:port?from=address (port 25 by
// default) or smtps://… (port 465). from is required; it may carry a
// display name ("数据局门户 <portal@example.cn>", URL-encoded).
func Parse(raw string) (*Mailer, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("SMTP URL: %w", err)
	}
	m := &Mailer{host: u.Hostname()}
	port := u.Port()
	switch u.Scheme {
	case "smtp":
		if port == "" {
			port = "25"
		}
	case "smtps":
		m.implicit = true
		if port == "" {
			port = "465"
		}
	default:
		return nil, fmt.Errorf("SMTP URL: scheme must be smtp or smtps, not %q", u.Scheme)
	}
	if m.host == "" {
		return nil, errors.New("SMTP URL: no host")
	}
	m.addr = net.JoinHostPort(m.host, port)
	if u.User != nil {
		m.user = u.User.Username()
		m.password, _ = u.User.Password()
	}
	from := u.Query().Get("from")
	if from == "" {
		return nil, errors.New("SMTP URL: the from parameter (sender address) is required, e.g. ?from=portal@example.cn")
	}
	a, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("SMTP URL: from: %w", err)
	}
	m.from = *a
	m.TLS = &tls.Config{ServerName: m.host, MinVersion: tls.VersionTLS12}
	return m, nil
}

// Send implements catalog.Mailer.
func (m *Mailer) Send(ctx context.Context, msg catalog.Mail) error {
	to, err := mail.ParseAddress(msg.To)
	if err != nil {
		return fmt.Errorf("recipient: %w", err)
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(30 * time.Second)
	}
	d := net.Dialer{Deadline: deadline}
	var conn net.Conn
	if m.implicit {
		conn, err = (&tls.Dialer{NetDialer: &d, Config: m.TLS}).DialContext(ctx, "tcp", m.addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", m.addr)
	}
	if err != nil {
		return err
	}
	_ = conn.SetDeadline(deadline)
	c, err := smtp.NewClient(conn, m.host)
	if err != nil {
		conn.Close()
		return err
	}
	defer c.Close()
	if !m.implicit {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(m.TLS); err != nil {
				return err
			}
		}
	}
	if m.user != "" {
		// PlainAuth refuses to send the password unencrypted except to
		// localhost.
		if err := c.Auth(smtp.PlainAuth("", m.user, m.password, m.host)); err != nil {
			return err
		}
	}
	if err := c.Mail(m.from.Address); err != nil {
		return err
	}
	if err := c.Rcpt(to.Address); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(m.message(to, msg)); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// message builds the RFC 5322 message: UTF-8 text, base64 body, RFC 2047
// encoded subject and names.
func (m *Mailer) message(to *mail.Address, msg catalog.Mail) []byte {
	id := make([]byte, 12)
	_, _ = rand.Read(id)
	subject := strings.NewReplacer("\r", " ", "\n", " ").Replace(msg.Subject)
	var b strings.Builder
	for _, h := range [][2]string{
		{"From", m.from.String()},
		{"To", to.String()},
		{"Subject", mime.BEncoding.Encode("UTF-8", subject)},
		{"Date", time.Now().Format(time.RFC1123Z)},
		{"Message-ID", "<" + hex.EncodeToString(id) + "@" + m.host + ">"},
		{"MIME-Version", "1.0"},
		{"Content-Type", "text/plain; charset=UTF-8"},
		{"Content-Transfer-Encoding", "base64"},
	} {
		b.WriteString(h[0] + ": " + h[1] + "\r\n")
	}
	b.WriteString("\r\n")
	enc := base64.StdEncoding.EncodeToString([]byte(msg.Body))
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return []byte(b.String())
}
