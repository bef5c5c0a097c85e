# Convenience targets; each is one command you can also run by hand.
GRAPHIQL := web/graphiql

.PHONY: build assets test generate check run bench clean

build: ## the binary, with the GraphiQL assets if they were built (make assets)
	go build -o bin/boxoffice ./cmd/boxoffice

assets: ## fetch GraphiQL from npm (pinned by package-lock.json) and bundle it for embedding
	npm --prefix $(GRAPHIQL) ci --no-audit --no-fund
	npm --prefix $(GRAPHIQL) run build

test: ## the test suite (PostgreSQL tests skip when it is unreachable, unless BOXOFFICE_REQUIRE_POSTGRES=1)
	go test -race ./...

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
