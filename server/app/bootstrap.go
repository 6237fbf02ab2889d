package app

import (
	"context"
	"fmt"
	"io"
	"net"

	"wartemarke/server/api"
	"wartemarke/server/auth"
)

// Names of the devices made at first start, for trying everything on one
// machine.
const (
	localKiosk   = "Kiosk (lokal)"
	localDisplay = "Anzeige (lokal)"
)

// Bootstrap makes a first start usable without a fixed default password:
// with no account yet it creates "admin" with a generated password and
// prints it once; with no device yet it creates a local kiosk and display;
// and for every device never paired it prints a fresh pairing link.
func (a *App) Bootstrap(ctx context.Context, w io.Writer) error {
	users, err := a.Auth.Store.Users(ctx)
	if err != nil {
		return err
	}
	if len(users) == 0 {
		pw := auth.NewToken()[:20]
		if _, err := a.Auth.AddUser(ctx, "admin", auth.RoleAdmin, pw); err != nil {
			return fmt.Errorf("first admin: %w", err)
		}
		fmt.Fprintf(w, `
First start: an admin account was created. Sign in at the console with
  name:     admin
  password: %s
This password is shown only now. Change it with: go run ./server user passwd --name admin
`, pw)
	}
	devices, err := a.Auth.Store.Devices(ctx)
	if err != nil {
		return err
	}
	if len(devices) == 0 {
		for _, d := range []struct {
			kind auth.DeviceKind
			name string
		}{{auth.Kiosk, localKiosk}, {auth.Display, localDisplay}} {
			dev, _, err := a.Auth.AddDevice(ctx, d.kind, d.name)
			if err != nil {
				return err
			}
			devices = append(devices, dev)
		}
	}
	printed := false
	for _, d := range devices {
		if d.PairedAt != nil || d.RevokedAt != nil {
			continue
		}
		code, err := a.Auth.NewPairCode(ctx, d.ID)
		if err != nil {
			return err
		}
		if !printed {
			fmt.Fprintln(w, "\nNot yet paired: open each link once on the device it is for (valid 24 hours, once):")
			printed = true
		}
		fmt.Fprintf(w, "  %-8s %-20s %s\n", d.Kind, d.Name, api.PairURL(a.linkBase(), d.Kind, code))
	}
	return nil
}

// linkBase is the base URL of links printed on the command line.
func (a *App) linkBase() string {
	if a.Config.PublicURL != "" || a.ln != nil {
		return a.BaseURL()
	}
	_, port, err := net.SplitHostPort(a.Config.Addr)
	if err != nil {
		return "http://localhost:8080"
	}
	return "http://localhost:" + port
}
