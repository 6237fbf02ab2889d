package api_test

import (
	"os"
	"testing"

	"wartemarke/server/auth"
)

// TestMain lowers bcrypt's cost: accounts are made by the dozen here, under
// -race, and the cost is not what these tests are about.
func TestMain(m *testing.M) {
	auth.BcryptCost = 4
	os.Exit(m.Run())
}
