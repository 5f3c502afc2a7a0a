package demo

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
)

// HashUpload reads an upload (an upload.Body) to its end through SHA-256,
// in constant memory, and returns the answer of POST /upload. On error the
// result holds the bytes read so far; upload.Status gives the status to
// answer with.
func HashUpload(u io.Reader) (UploadResult, error) {
	h := sha256.New()
	n, err := io.Copy(h, u)
	if err != nil {
		return UploadResult{Bytes: n}, err
	}
	return UploadResult{Bytes: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}
