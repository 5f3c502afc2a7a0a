package demo

import _ "embed"

// PageContentType is the Content-Type of [Page].
const PageContentType = "text/html; charset=utf-8"

//go:embed static/index.html
var page []byte

// Page returns the demo page served at GET /: one HTML file with its CSS
// and script inline and no external resources, so it needs no route of its
// own beyond the contract's. The caller must not modify the bytes.
func Page() []byte { return page }
