package catalog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// Notifications tell users about the state changes that concern them. A
// change writes a notice into its document's notice outbox in the same
// write; delivering the notice resolves its audience and inserts one
// notification per recipient under an id derived from the notice id and
// the user id, so delivering twice (after a crash) creates nothing new.

// notice is a pending notification of an audience.
type notice struct {
	ID     string    `json:"id"`
	Kind   string    `json:"kind"`
	To     []string  `json:"to"` // audience selectors: toUser, toReviewers, toBureau, toUsersOf
	Object string    `json:"object"`
	Title  Text      `json:"title"`
	Body   Text      `json:"body"`
	Link   string    `json:"link,omitempty"`
	At     time.Time `json:"at"`
}

// Audience selectors, resolved when the notice is delivered.
const toBureau = "bureau" // every active user with the bureau role

func toUser(id string) string { return "user:" + id }

// toReviewers is every active provider of an organisation.
func toReviewers(org string) string { return "reviewers:" + org }

// toUsersOf is everyone who held a grant to the dataset or declared a
// model trained on it.
func toUsersOf(dataset string) string { return "users-of:" + dataset }

// noticeOutbox is embedded in documents whose changes notify users.
type noticeOutbox struct {
	NoticePending []notice `json:"notice_pending,omitempty"`
	// NoticeDirty mirrors len(NoticePending) > 0 as an indexed field.
	NoticeDirty bool `json:"notice_dirty"`
}

func (o *noticeOutbox) notify(n notice) {
	o.NoticePending = append(o.NoticePending, n)
	o.NoticeDirty = true
}

type noticed[T any] interface {
	*T
	notices() *noticeOutbox
}

// flushNotices delivers the pending notices of one document, running
// before (if set) ahead of each, then removes them (guarded by revision).
func flushNotices[T any, PT noticed[T]](ctx context.Context, s *Service, r record[T], id string, before func(context.Context, string, notice) error) error {
	v, _, err := r.get(ctx, id)
	if IsKind(err, KindNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	pending := PT(&v).notices().NoticePending
	if len(pending) == 0 {
		return nil
	}
	done := map[string]bool{}
	for _, n := range pending {
		if before != nil {
			if err := before(ctx, id, n); err != nil {
				return err
			}
		}
		if err := s.deliver(ctx, n); err != nil {
			return err
		}
		done[n.ID] = true
	}
	_, _, err = r.update(ctx, id, func(x *T) error {
		nb := PT(x).notices()
		kept := nb.NoticePending[:0]
		for _, n := range nb.NoticePending {
			if !done[n.ID] {
				kept = append(kept, n)
			}
		}
		if len(kept) == len(nb.NoticePending) {
			return errUnchanged
		}
		nb.NoticePending = kept
		nb.NoticeDirty = len(kept) > 0
		return nil
	})
	if IsKind(err, KindNotFound) {
		return nil
	}
	return err
}

// flushNoticesDirty delivers the notices of every document of r that has some.
func flushNoticesDirty[T any, PT noticed[T]](ctx context.Context, s *Service, r record[T], before func(context.Context, string, notice) error) error {
	page, err := r.c.Find(ctx, Query{Filters: []Filter{Where("notice_dirty", true)}, Limit: 500})
	if err != nil {
		return err
	}
	for _, d := range page.Docs {
		if err := flushNotices[T, PT](ctx, s, r, d.ID, before); err != nil {
			return err
		}
	}
	return nil
}

// FlushNotices delivers every pending notice (what a crash left behind).
func (s *Service) FlushNotices(ctx context.Context) error {
	for _, f := range s.noticeBoxes {
		if err := f(ctx); err != nil {
			return err
		}
	}
	return nil
}

// notificationID derives the id of one recipient's copy of a notice.
func notificationID(noticeID, user string) string {
	h := sha256.Sum256([]byte(noticeID + "\x00" + user))
	return "n-" + hex.EncodeToString(h[:16])
}

// deliver creates the notice's notifications; existing ones are kept.
func (s *Service) deliver(ctx context.Context, n notice) error {
	users, err := s.audience(ctx, n.To)
	if err != nil {
		return err
	}
	for _, u := range users {
		rec := notificationRecord{Notification: Notification{ID: notificationID(n.ID, u), User: u, Kind: n.Kind, Object: n.Object,
			Title: n.Title, Body: n.Body, Link: n.Link, CreatedAt: n.At}, EmailPending: s.opts.Mailer != nil}
		if _, err := s.notifications.insert(ctx, rec.ID, &rec); err != nil && !IsKind(err, KindConflict) {
			return err
		}
	}
	return nil
}

// audience resolves selectors to distinct user ids.
func (s *Service) audience(ctx context.Context, to []string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	add := func(id string) {
		if id != "" && id != "system" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	for _, sel := range to {
		switch kind, arg, _ := strings.Cut(sel, ":"); kind {
		case "user":
			add(arg)
		case "reviewers":
			err := s.users.each(ctx, []Filter{Where("org_id", arg), Where("status", UserActive)}, func(u User, _ int64) error {
				if u.HasRole(RoleProvider) {
					add(u.ID)
				}
				return nil
			})
			if err != nil {
				return nil, err
			}
		case toBureau:
			// Users carry their roles in a list, which the store does not
			// index: the bureau's users are found by a scan of the active
			// users (one per notice to the bureau, in the background).
			err := s.users.each(ctx, []Filter{Where("status", UserActive)}, func(u User, _ int64) error {
				if u.HasRole(RoleBureau) {
					add(u.ID)
				}
				return nil
			})
			if err != nil {
				return nil, err
			}
		case "users-of":
			if err := s.grants.each(ctx, []Filter{Where("dataset", arg)}, func(g grantRecord, _ int64) error { add(g.User); return nil }); err != nil {
				return nil, err
			}
			if err := s.lineage.each(ctx, []Filter{Where("dataset", arg)}, func(l lineageRecord, _ int64) error { add(l.User); return nil }); err != nil {
				return nil, err
			}
		default:
			s.log.Error("unknown notice audience", "selector", sel)
		}
	}
	return out, nil
}

// Notification is one message to one user.
type Notification struct {
	ID        string     `json:"id"`
	User      string     `json:"user"`
	Kind      string     `json:"kind"`
	Object    string     `json:"object"`
	Title     Text       `json:"title"`
	Body      Text       `json:"body"`
	Link      string     `json:"link,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	Read      bool       `json:"read"`
	ReadAt    *time.Time `json:"read_at,omitempty"`
}

type notificationRecord struct {
	Notification
	// EmailPending is set when a mailer is configured and cleared once
	// the e-mail went out (or was given up).
	EmailPending  bool       `json:"email_pending"`
	EmailClaimed  *time.Time `json:"email_claimed,omitempty"`
	EmailAttempts int        `json:"email_attempts,omitempty"`
	EmailSentAt   *time.Time `json:"email_sent_at,omitempty"`
}

// NotificationPage is a page of a user's notifications with the unread count.
type NotificationPage struct {
	Total  int64          `json:"total"`
	Unread int64          `json:"unread"`
	Items  []Notification `json:"items"`
}

// Notifications lists the signed-in user's notifications, newest first.
func (s *Service) Notifications(ctx context.Context, p Principal, unreadOnly bool, offset, limit int) (NotificationPage, error) {
	if !p.SignedIn() {
		return NotificationPage{}, &Error{Kind: KindUnauthenticated, Message: msgSignIn}
	}
	if limit <= 0 || limit > 100 {
		return NotificationPage{}, &Error{Kind: KindInvalid, Message: T("每页条数须在 1–100 之间", "per_page must be 1–100"),
			Fields: []FieldError{{Field: "per_page", Code: "range", Message: T("1–100", "1–100")}}}
	}
	f := []Filter{Where("user", p.User.ID)}
	unread := []Filter{Where("user", p.User.ID), Where("read", false)}
	if unreadOnly {
		f = unread
	}
	out := NotificationPage{Items: []Notification{}}
	var err error
	if out.Total, err = s.notifications.c.Count(ctx, f...); err != nil {
		return out, err
	}
	if out.Unread, err = s.notifications.c.Count(ctx, unread...); err != nil {
		return out, err
	}
	page, _, err := s.notifications.find(ctx, Query{Filters: f, Sort: "created_at", Desc: true, Offset: offset, Limit: limit})
	if err != nil {
		return out, err
	}
	for _, n := range page {
		out.Items = append(out.Items, n.V.Notification)
	}
	return out, nil
}

// UnreadCount returns how many of the user's notifications are unread.
func (s *Service) UnreadCount(ctx context.Context, p Principal) (int64, error) {
	if !p.SignedIn() {
		return 0, &Error{Kind: KindUnauthenticated, Message: msgSignIn}
	}
	return s.notifications.c.Count(ctx, Where("user", p.User.ID), Where("read", false))
}

var notificationName = T("通知", "notification")

// MarkRead marks one of the user's notifications read; someone else's
// answers NotFound.
func (s *Service) MarkRead(ctx context.Context, p Principal, id string) (Notification, error) {
	if !p.SignedIn() {
		return Notification{}, &Error{Kind: KindUnauthenticated, Message: msgSignIn}
	}
	n, _, err := s.notifications.update(ctx, id, func(n *notificationRecord) error {
		if n.User != p.User.ID {
			return NotFound(notificationName)
		}
		if n.Read {
			return errUnchanged
		}
		now := s.now()
		n.Read, n.ReadAt = true, &now
		return nil
	})
	return n.Notification, err
}

// MarkAllRead marks all the user's notifications read and reports how many.
func (s *Service) MarkAllRead(ctx context.Context, p Principal) (int, error) {
	if !p.SignedIn() {
		return 0, &Error{Kind: KindUnauthenticated, Message: msgSignIn}
	}
	n := 0
	for {
		page, _, err := s.notifications.find(ctx, Query{Filters: []Filter{Where("user", p.User.ID), Where("read", false)}, Limit: 200})
		if err != nil || len(page) == 0 {
			return n, err
		}
		for _, f := range page {
			if _, err := s.MarkRead(ctx, p, f.V.ID); err != nil && !IsKind(err, KindNotFound) {
				return n, err
			}
			n++
		}
	}
}

// Mail is one e-mail message.
type Mail struct {
	To      string
	Subject string
	Body    string
}

// Mailer sends e-mail. Implemented by catalog/smtpmail.
type Mailer interface {
	// Send delivers one message; an error means it was not accepted.
	Send(ctx context.Context, m Mail) error
}

const (
	mailLease       = 10 * time.Minute // a claimed e-mail not sent by then is claimed again
	mailMaxAttempts = 5
)

// SendMail sends the e-mail of pending notifications. Each is claimed by a
// revision-guarded write first, so that two instances never send it both;
// a crash after sending and before clearing the claim sends it again once
// the claim lapses (at least once).
func (s *Service) SendMail(ctx context.Context) error {
	if s.opts.Mailer == nil {
		return nil
	}
	page, _, err := s.notifications.find(ctx, Query{Filters: []Filter{Where("email_pending", true)}, Sort: "created_at", Limit: 100})
	if err != nil {
		return err
	}
	for _, f := range page {
		claimed := false
		now := s.now()
		n, _, err := s.notifications.update(ctx, f.V.ID, func(n *notificationRecord) error {
			claimed = false
			if !n.EmailPending || (n.EmailClaimed != nil && now.Before(n.EmailClaimed.Add(mailLease))) {
				return errUnchanged
			}
			n.EmailClaimed = &now
			claimed = true
			return nil
		})
		if err != nil || !claimed {
			if err != nil && !IsKind(err, KindNotFound) {
				return err
			}
			continue
		}
		u, _, err := s.users.get(ctx, n.User)
		var sendErr error
		if err == nil && u.Status == UserActive && u.Email != "" {
			sendErr = s.opts.Mailer.Send(ctx, mailOf(n.Notification, u.Email))
		}
		_, _, err = s.notifications.update(ctx, n.ID, func(n *notificationRecord) error {
			n.EmailClaimed = nil
			if sendErr != nil {
				n.EmailAttempts++
				n.EmailPending = n.EmailAttempts < mailMaxAttempts
				return nil
			}
			sent := s.now()
			n.EmailPending, n.EmailSentAt = false, &sent
			return nil
		})
		if sendErr != nil {
			s.log.Warn("notification e-mail failed", "notification", n.ID, "attempt", n.EmailAttempts+1, "err", sendErr)
		}
		if err != nil && !IsKind(err, KindNotFound) {
			return err
		}
	}
	return nil
}

// mailOf writes a notification as an e-mail, Chinese first.
func mailOf(n Notification, to string) Mail {
	return Mail{To: to, Subject: "[数据集门户] " + n.Title.Zh + " / " + n.Title.En,
		Body: n.Title.Zh + "\n\n" + n.Body.Zh + "\n\n——\n\n" + n.Title.En + "\n\n" + n.Body.En + "\n"}
}

// noteDatasetChange leaves the notices of a withdrawal or a re-grading in
// the dataset's outbox, in the same write as the change (see changeDataset).
func (s *Service) noteDatasetChange(rec *datasetRecord, oldTier Tier, oldStatus string, ev AuditEvent) {
	d := &rec.Dataset
	if d.Status == StatusDraft {
		return // drafts have neither requests nor grants nor users
	}
	title := datasetTitle(d.Title, d.TitleEn)
	if d.Tier != oldTier {
		from, to := tierLabel(oldTier), tierLabel(d.Tier)
		rec.notify(notice{ID: ev.EventID + "-regraded", Kind: "dataset.regraded", To: []string{toUsersOf(d.ID)}, Object: "dataset:" + d.ID,
			Link: "/api/v1/datasets/" + d.ID, At: ev.Time, Title: T("数据集分级已调整", "Dataset re-graded"),
			Body: T("您获得授权或声明用于模型训练的数据集"+title.Zh+"的分级由“"+from.Zh+"”调整为“"+to.Zh+"”。请按新的分级要求使用数据；不满足要求的授权已暂停。",
				title.En+", which you were granted or declared a model trained on, was re-graded from "+from.En+" to "+to.En+". Use the data under the new tier; grants that do not satisfy it are suspended.")})
	}
	if d.Status == StatusWithdrawn && oldStatus != StatusWithdrawn {
		rec.notify(notice{ID: ev.EventID + "-withdrawn", Kind: "dataset.withdrawn", To: []string{toUsersOf(d.ID)}, Object: "dataset:" + d.ID,
			Link: "/api/v1/datasets/" + d.ID, At: ev.Time, Title: T("数据集已撤回", "Dataset withdrawn"),
			Body: T("您获得授权或声明用于模型训练的数据集"+title.Zh+"已被撤回。原因："+d.WithdrawReason,
				title.En+", which you were granted or declared a model trained on, was withdrawn. Reason: "+d.WithdrawReason)})
	}
}

// datasetNoticeStep runs ahead of delivering a dataset's notice: after a
// re-grading, the grants and open requests follow the new tier first.
func (s *Service) datasetNoticeStep(ctx context.Context, id string, n notice) error {
	if n.Kind == "dataset.regraded" {
		return s.reconcileDataset(ctx, id)
	}
	return nil
}

// flushDatasetNotices carries out and delivers a dataset's pending notices.
func (s *Service) flushDatasetNotices(ctx context.Context, id string) error {
	return flushNotices(ctx, s, s.datasets, id, s.datasetNoticeStep)
}
