package printer

import "bytes"

// DejaVuSans returns copies of the embedded DejaVu Sans TrueType fonts,
// regular and bold, for documents other than slips (the monthly report).
// Slips use subsets of them, cut once in NewRenderer.
func DejaVuSans() (regular, bold []byte) {
	return bytes.Clone(dejaVuSans), bytes.Clone(dejaVuSansBold)
}
