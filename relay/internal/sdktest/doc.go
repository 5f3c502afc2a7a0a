// Package sdktest checks streamkit's model wire formats against the
// official SDKs as clients: the SDK's own stream parser is the oracle.
//
// The Go tests start a real streamkit relay on loopback in front of a
// scripted upstream, and point at it the Node SDKs pinned in node/ (openai,
// @anthropic-ai/sdk, ai; run through node/check.mjs) and the Go SDK
// github.com/openai/openai-go/v3. Its own module, so that the root module
// keeps no third-party requirement.
//
// Without node or the npm packages (npm ci in node/) the Node tests skip
// with the reason; under CI=true they fail instead.
package sdktest
