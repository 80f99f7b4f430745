package relaycfg

import (
	"context"
	"errors"
	"strings"
	"testing"

	"relaycommander/ldsync"
)

// stubSource is an EnvironmentSource for Fetch's own logic; fetch_ldfake_test.go runs Fetch
// against the fake LaunchDarkly through the real client.
type stubSource struct {
	projects map[string][]ldsync.Environment
	err      error
	calls    []string
}

func (s *stubSource) Project(ctx context.Context, key string) (ldsync.Project, error) {
	s.calls = append(s.calls, "project "+key)
	if s.err != nil {
		return ldsync.Project{}, s.err
	}
	if _, ok := s.projects[key]; !ok {
		return ldsync.Project{}, errors.New("404 Not Found")
	}
	return ldsync.Project{Key: key, Name: strings.ToUpper(key)}, nil
}

func (s *stubSource) Environments(ctx context.Context, project string) ([]ldsync.Environment, error) {
	s.calls = append(s.calls, "environments "+project)
	return s.projects[project], nil
}

func TestFetchStub(t *testing.T) {
	src := &stubSource{projects: map[string][]ldsync.Environment{
		"a":     {{Key: "prod", SDKKey: "sdk-1"}},
		"b":     {{Key: "prod", SDKKey: "sdk-2"}, {Key: "dev", SDKKey: "sdk-3"}},
		"empty": nil,
	}}
	got, err := Fetch(context.Background(), src, []string{"b", "a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Project.Key != "b" || len(got[0].Environments) != 2 || got[1].Project.Name != "A" {
		t.Errorf("Fetch = %+v", got)
	}
	if len(src.calls) != 4 {
		t.Errorf("a repeated project was fetched twice: %q", src.calls)
	}

	for keys, want := range map[string]string{
		"a,nope": `project "nope"`,
		"empty":  `project "empty" has no environments`,
		"":       "no project given",
	} {
		var list []string
		if keys != "" {
			list = strings.Split(keys, ",")
		}
		if _, err := Fetch(context.Background(), src, list); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Fetch(%q): %v, want %q", keys, err, want)
		}
	}
	sentinel := errors.New("401 Unauthorized")
	_, err = Fetch(context.Background(), &stubSource{err: sentinel}, []string{"a"})
	if !errors.Is(err, sentinel) || !strings.Contains(err.Error(), `"a"`) {
		t.Errorf("error not wrapped with the project: %v", err)
	}
}
