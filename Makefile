# Convenience targets; each is one command you can also run by hand.
GRAPHIQL := web/graphiql

.PHONY: build assets test test-skips generate check run bench clean

build: ## the binary, with the GraphiQL assets if they were built (make assets)
	go build -o bin/boxoffice ./cmd/boxoffice

assets: ## fetch GraphiQL from npm (pinned by package-lock.json) and bundle it for embedding
	npm --prefix $(GRAPHIQL) ci --no-audit --no-fund
	npm --prefix $(GRAPHIQL) run build

test: ## the test suite, as go test prints it, then one line of what was skipped and why
	go run ./internal/gotest -race ./...

test-skips: ## make test, listing every skipped test with its reason (tests skip when PostgreSQL, Redis or Chromium is missing)
	go run ./internal/gotest -skips -race ./...

generate: ## regenerate gqlgen's code after editing graph/schema/*.graphqls
	go generate ./graph/...

check: ## what CI runs
	bash .ci/run

run: ## the server on the embedded database
	go run ./cmd/boxoffice serve

bench: ## raw PostgreSQL baseline and boxoffice, same machine, same run: prints the ratios
	bash bench/run.sh

clean:
	rm -rf bin $(GRAPHIQL)/node_modules
