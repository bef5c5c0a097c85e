package boxoffice

// Page bounds of every paginated list.
const (
	DefaultPage  = 1
	DefaultLimit = 10
	MaxLimit     = 100
	// MaxPageEnd bounds page × limit, the position of a page's last item,
	// so that offsets never overflow and no page asks a store to skip more
	// rows than any list here will hold.
	MaxPageEnd = 10_000_000
)

// Page selects one page of a list: Page counts from 1, Limit items a page.
type Page struct {
	Page  int
	Limit int
}

// NewPage returns the page the client asked for, with defaults for what it
// left out (nil). It returns EINVALID for page < 1, a limit outside
// 1..MaxLimit or a page ending past MaxPageEnd, rather than clamping
// silently.
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
	// Divided, not multiplied: page × limit may overflow.
	if p.Page > MaxPageEnd/p.Limit {
		return Invalidf("page", "page × limit must be at most %d, got page %d with limit %d", MaxPageEnd, p.Page, p.Limit)
	}
	return nil
}

// Offset is the number of items before the page.
func (p Page) Offset() int { return (p.Page - 1) * p.Limit }
