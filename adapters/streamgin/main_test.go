package streamgin_test

import (
	"testing"

	"github.com/gin-gonic/gin"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// gin prints route tables and warnings in its default debug mode.
	gin.SetMode(gin.TestMode)
	goleak.VerifyTestMain(m)
}
