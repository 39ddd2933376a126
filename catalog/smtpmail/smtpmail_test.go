package smtpmail_test

import (
	"context"
	"strings"
	"testing"

	"dataportal/catalog"
	"dataportal/catalog/smtpmail"
	"dataportal/catalog/smtpmail/smtptest"
)

func TestParse(t *testing.T) {
	for _, c := range []struct {
		url string
		ok  bool
	}{
		{"smtp://u:p@mail.example.cn:587?from=portal@example.cn", true},
		{"smtps://mail.example.cn?from=%E6%95%B0%E6%8D%AE%E5%B1%80%20%3Cportal@example.cn%3E", true},
		{"smtp://mail.example.cn", false},                        // no sender
		{"http://mail.example.cn?from=portal@example.cn", false}, // wrong scheme
		{"smtp://?from=portal@example.cn", false},                // no host
		{"smtp://mail.example.cn?from=not-an-address", false},
	} {
		_, err := smtpmail.Parse(c.url)
		if (err == nil) != c.ok {
			t.Errorf("%s: err = %v, want ok=%v", c.url, err, c.ok)
		}
	}
}

// TestSendToAFakeServer sends through net/smtp to an SMTP server on
// loopback and reads back what arrived.
func TestSendToAFakeServer(t *testing.T) {
	srv, err := smtptest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	m, err := smtpmail.Parse(srv.URL("portal", "s3cret", "数据局门户 <portal@example.cn>"))
	if err != nil {
		t.Fatal(err)
	}
	body := "您的访问申请已批准。\n\nYour access request was approved.\n" + strings.Repeat("长行", 100)
	if err := m.Send(context.Background(), catalog.Mail{To: "dev@example.cn", Subject: "访问申请已批准 / Access request approved", Body: body}); err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages arrived", len(msgs))
	}
	got := msgs[0]
	if got.From != "portal@example.cn" || len(got.To) != 1 || got.To[0] != "dev@example.cn" || got.Auth != "portal" {
		t.Fatalf("envelope %+v", got)
	}
	if got.Subject != "访问申请已批准 / Access request approved" || got.Body != body {
		t.Fatalf("subject %q, body %q", got.Subject, got.Body)
	}
	srv.SetReject(true)
	if err := m.Send(context.Background(), catalog.Mail{To: "dev@example.cn", Subject: "x", Body: "y"}); err == nil {
		t.Fatal("a refused recipient was reported as sent")
	}
	if err := m.Send(context.Background(), catalog.Mail{To: "not an address", Subject: "x", Body: "y"}); err == nil {
		t.Fatal("a bad recipient address was accepted")
	}
}
