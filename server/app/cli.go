package app

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"wartemarke/server/api"
	"wartemarke/server/auth"
)

// Commands are the one-off admin commands, run beside a running service
// (the store allows it): wartemarke user …, wartemarke device …, and
// backup and restore of the embedded store (backup.go).
var Commands = map[string]bool{"user": true, "device": true, "backup": true, "restore": true}

// RunCommand runs an admin command and returns the exit code.
func RunCommand(args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	run := runCommand
	if args[0] == "backup" || args[0] == "restore" {
		run = func(args []string, getenv func(string) string, _ io.Reader, stdout, stderr io.Writer) error {
			return runBackupCommand(args, getenv, stdout, stderr)
		}
	}
	if err := run(args, getenv, stdin, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "wartemarke:", err)
		if errors.Is(err, flag.ErrHelp) {
			return 2
		}
		return 1
	}
	return 0
}

const commandUsage = `usage:
  wartemarke user add --name NAME --role admin|counsellor   (password from standard input)
  wartemarke user passwd --name NAME                        (password from standard input)
  wartemarke user list
  wartemarke user remove --name NAME
  wartemarke device add --kind kiosk|display --name NAME [--token]
  wartemarke device list
  wartemarke device pair-code --id ID
  wartemarke device revoke --id ID
  wartemarke backup --to FILE
  wartemarke restore --from FILE                            (with the service stopped)
Each also takes --data and --config like the service.`

func runCommand(args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) < 2 {
		return fmt.Errorf("%w\n%s", flag.ErrHelp, commandUsage)
	}
	what, verb := args[0], args[1]
	fs := flag.NewFlagSet("wartemarke "+what+" "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("name", "", "account or device name")
	role := fs.String("role", "", "admin or counsellor")
	kind := fs.String("kind", "", "kiosk or display")
	id := fs.String("id", "", "device id (see device list)")
	token := fs.Bool("token", false, "pair the new device now and print its token (for scripts and tests)")
	configOf := commandConfig(fs, getenv, stderr)
	if err := fs.Parse(args[2:]); err != nil {
		return err
	}
	cfg, err := configOf()
	if err != nil {
		return err
	}
	cfg.Printer = "none"
	a, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	defer a.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	switch what + " " + verb {
	case "user add":
		pw, err := readPassword(stdin)
		if err != nil {
			return err
		}
		u, err := a.Auth.AddUser(ctx, *name, auth.Role(*role), pw)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "account %s (%s) created\n", u.Name, u.Role)
	case "user passwd":
		pw, err := readPassword(stdin)
		if err != nil {
			return err
		}
		if err := a.Auth.SetPassword(ctx, *name, pw); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "password of %s changed; its sign-ins have ended\n", *name)
	case "user list":
		users, err := a.Auth.Store.Users(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tROLE\tCREATED")
		for _, u := range users {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", u.Name, u.Role, u.CreatedAt.Format(time.DateOnly))
		}
		tw.Flush()
	case "user remove":
		if err := a.Auth.RemoveUser(ctx, *name); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "account %s removed\n", *name)
	case "device add":
		d, code, err := a.Auth.AddDevice(ctx, auth.DeviceKind(*kind), *name)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "device %s (%s %q) created\n", d.ID, d.Kind, d.Name)
		if *token {
			_, tok, err := a.Auth.Pair(ctx, code)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "token: %s\n", tok)
			return nil
		}
		fmt.Fprintf(stdout, "pairing code: %s\npairing link: %s\n", code, api.PairURL(a.linkBase(), d.Kind, code))
	case "device list":
		devices, err := a.Auth.Store.Devices(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tKIND\tNAME\tSTATE\tLAST SEEN")
		for _, d := range devices {
			state := "paired"
			switch {
			case d.RevokedAt != nil:
				state = "revoked"
			case d.PairedAt == nil:
				state = "not paired"
			}
			seen := "-"
			if d.LastSeen != nil {
				seen = d.LastSeen.In(a.Service.Location).Format("2006-01-02 15:04")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", d.ID, d.Kind, d.Name, state, seen)
		}
		tw.Flush()
	case "device pair-code":
		code, err := a.Auth.NewPairCode(ctx, *id)
		if err != nil {
			return err
		}
		d, err := a.Auth.Store.Device(ctx, *id)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "pairing code: %s\npairing link: %s\n", code, api.PairURL(a.linkBase(), d.Kind, code))
	case "device revoke":
		if err := a.Auth.RevokeDevice(ctx, *id); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "device %s revoked; a running service refuses it and closes its streams within %s\n", *id, auth.DefaultCacheFor)
	default:
		return fmt.Errorf("%w: unknown command %q\n%s", flag.ErrHelp, what+" "+verb, commandUsage)
	}
	return nil
}

// readPassword reads the first line of stdin (a pipe, or typed).
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", errors.New("give the password on standard input, e.g. read -s pw; echo \"$pw\" | wartemarke user add …")
	}
	return pw, nil
}

// commandConfig adds the --data and --config flags every admin command
// takes to fs, and returns the function that reads the configuration from
// them (and the environment) once fs is parsed.
func commandConfig(fs *flag.FlagSet, getenv func(string) string, stderr io.Writer) func() (Config, error) {
	data := fs.String("data", "", "data folder (default ./data; env WARTEMARKE_DATA)")
	config := fs.String("config", "", "config file (env WARTEMARKE_CONFIG)")
	return func() (Config, error) {
		var args []string
		if *data != "" {
			args = append(args, "--data", *data)
		}
		if *config != "" {
			args = append(args, "--config", *config)
		}
		return Parse(args, getenv, stderr)
	}
}
