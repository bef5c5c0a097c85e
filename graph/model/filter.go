package model

import "github.com/boxoffice/boxoffice"

// BookingFilterInput is written by hand, not generated, so the time bounds
// keep whether they were plain dates.
type BookingFilterInput struct {
	UserID      *string                  `json:"userId,omitempty"`
	EventID     *string                  `json:"eventId,omitempty"`
	Status      *boxoffice.BookingStatus `json:"status,omitempty"`
	CreatedFrom *DateInput               `json:"createdFrom,omitempty"`
	CreatedTo   *DateInput               `json:"createdTo,omitempty"`
}
