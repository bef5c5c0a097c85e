package service

// SetRushing replaces what tells the relay whether bookings are queueing
// (Batcher.Rushing), for tests of the relay alone.
func (s *Notifications) SetRushing(rushing func() bool) { s.rushing = rushing }
