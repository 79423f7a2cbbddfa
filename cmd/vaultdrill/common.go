package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

// setFlags collects repeated --set key=value overrides.
type setFlags []string

func (s *setFlags) String() string     { return strings.Join(*s, " ") }
func (s *setFlags) Set(v string) error { *s = append(*s, v); return nil }

// newFlagSet builds a flag set whose --help prints the command's story.
func newFlagSet(name, synopsis, story string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: vaultdrill %s %s\n\n%s\n\nFlags:\n", name, synopsis, strings.TrimSpace(story))
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses and maps -h to exit 0 and a bad flag to exit 2. The
// positional arguments may come before or after the flags.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, int, bool) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if err == flagHelp {
				return nil, 0, false
			}
			return nil, 2, false
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	return pos, 0, true
}

var flagHelp = flagErrHelp()

func flagErrHelp() error { return flag.ErrHelp }

// commitID is the build's commit: set by -ldflags, else $VAULTDRILL_COMMIT,
// else asked of git in the working directory ("-dirty" when tracked files
// have changes), else "unknown".
func commitID() string {
	if commit != "" {
		return commit
	}
	if c := os.Getenv("VAULTDRILL_COMMIT"); c != "" {
		return c
	}
	out, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	id := strings.TrimSpace(string(out))
	st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output()
	if err == nil && len(strings.TrimSpace(string(st))) > 0 {
		id += "-dirty"
	}
	return id
}
