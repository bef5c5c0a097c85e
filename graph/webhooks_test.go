package graph_test

import (
	"strings"
	"testing"

	"github.com/boxoffice/boxoffice"
)

// The webhooks API over HTTP: an organizer registers an endpoint and sees
// its secret once; lists and deletes it; customers, other organizers'
// events, unknown kinds and private targets are refused.
func TestWebhooksOverTheAPI(t *testing.T) {
	s := newTestServer(t)
	olga := s.newAccount(t, "olga", boxoffice.RoleOrganizer)
	oscar := s.newAccount(t, "oscar", boxoffice.RoleOrganizer)
	ann := s.signUp(t, "ann")
	ev := s.as(olga.Token).createEvent(t, "Gala", 10, 0, 3)
	const create = `mutation($in: CreateWebhookInput!) { createWebhook(input: $in) { id url events eventId active secret deliveries { id } } }`
	var made struct {
		CreateWebhook struct {
			ID, URL    string
			Events     []string
			EventID    *string
			Active     bool
			Secret     *string
			Deliveries []struct{ ID string }
		}
	}
	s.as(olga.Token).data(t, create, map[string]any{"in": map[string]any{"url": "https://hooks.example.com/boxoffice",
		"events": []string{"booking.confirmed", "ticket.checked_in"}, "eventId": ev.ID}}, &made)
	w := made.CreateWebhook
	if w.Secret == nil || !strings.HasPrefix(*w.Secret, "whsec_") || !w.Active || w.EventID == nil || *w.EventID != ev.ID ||
		len(w.Events) != 2 || len(w.Deliveries) != 0 {
		t.Fatalf("createWebhook = %+v", w)
	}
	var list struct {
		Webhooks []struct {
			ID     string
			Secret *string
		}
	}
	s.as(olga.Token).data(t, `{ webhooks { id secret } }`, nil, &list)
	if len(list.Webhooks) != 1 || list.Webhooks[0].ID != w.ID || list.Webhooks[0].Secret != nil {
		t.Errorf("webhooks = %+v; want the one, its secret not shown again", list.Webhooks)
	}
	s.as(oscar.Token).data(t, `{ webhooks { id } }`, nil, &list)
	if len(list.Webhooks) != 0 {
		t.Errorf("oscar sees %d webhooks", len(list.Webhooks))
	}

	in := func(url, kind, eventID string) map[string]any {
		m := map[string]any{"url": url, "events": []string{kind}}
		if eventID != "" {
			m["eventId"] = eventID
		}
		return map[string]any{"in": m}
	}
	s.as(ann.Token).fails(t, create, in("https://hooks.example.com", "booking.confirmed", ""), "FORBIDDEN", "")
	s.as(oscar.Token).fails(t, create, in("https://hooks.example.com", "booking.confirmed", ev.ID), "FORBIDDEN", "")
	s.as(olga.Token).fails(t, create, in("https://hooks.example.com", "user.created", ""), "BAD_USER_INPUT", "events")
	s.as(olga.Token).fails(t, create, in("http://127.0.0.1:8080/hook", "booking.confirmed", ""), "BAD_USER_INPUT", "url")
	s.as(olga.Token).fails(t, create, in("http://169.254.169.254/latest", "booking.confirmed", ""), "BAD_USER_INPUT", "url")
	s.as("").fails(t, `{ webhooks { id } }`, nil, "UNAUTHENTICATED", "")

	const del = `mutation($id: ID!) { deleteWebhook(id: $id) }`
	s.as(oscar.Token).fails(t, del, map[string]any{"id": w.ID}, "NOT_FOUND", "")
	var deleted struct{ DeleteWebhook bool }
	s.as(olga.Token).data(t, del, map[string]any{"id": w.ID}, &deleted)
	if !deleted.DeleteWebhook {
		t.Errorf("deleteWebhook = false")
	}
	s.as(olga.Token).fails(t, del, map[string]any{"id": w.ID}, "NOT_FOUND", "")
}
