package boxoffice

// Page bounds of every paginated list.
const (
	DefaultPage  = 1
	DefaultLimit = 10
	MaxLimit     = 100
)

// Page selects one page of a list: Page counts from 1, Limit items a page.
type Page struct {
	Page  int
	Limit int
}

// NewPage returns the page the client asked for, with defaults for what it
// left out (nil). It returns EINVALID for page < 1 or a limit outside
// 1..MaxLimit, rather than clamping silently.
func NewPage(page, limit *int) (Page, error) {
	p := Page{Page: DefaultPage, Limit: DefaultLimit}
	if page != nil {
		p.Page = *page
	}
	if limit != nil {
		p.Limit = *limit
	}
	return p, p.Validate()
}

// Validate returns EINVALID if the page is out of bounds.
func (p Page) Validate() error {
	if p.Page < 1 {
		return Invalidf("page", "page must be 1 or more, got %d", p.Page)
	}
	if p.Limit < 1 || p.Limit > MaxLimit {
		return Invalidf("limit", "limit must be between 1 and %d, got %d", MaxLimit, p.Limit)
	}
	return nil
}

// Offset is the number of items before the page.
func (p Page) Offset() int { return (p.Page - 1) * p.Limit }
