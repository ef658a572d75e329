# Common commands of the EV charging simulation. `make help` lists them.
# Targets marked [docker] need a running Docker engine and say so when there is none; the
# [local] ones run the same topology as processes (Node 20, pnpm 9, Java 17 for Kafka).

SHELL := /bin/bash
.DEFAULT_GOAL := help

# `docker compose` (v2), else Debian's docker-compose (v1), with the project name and builder
# settings both need (docker/compose.sh says which).
COMPOSE ?= docker/compose.sh
REMOTE_FILE := docker-compose.remote-kafka.yml
# CP=1 or CP=2: the charging point `make cp-ko` / `make cp-recover` act on.
CP ?= 1

# Fails the target with a clear message when no Docker engine answers.
define require_docker
	@if ! docker info >/dev/null 2>&1; then \
	  echo "make $@: needs a running Docker engine, and 'docker info' fails here."; \
	  echo "  Start Docker (or use a machine that has it), or run the same topology as processes:"; \
	  echo "  make local-run   (then: make verify, make local-stop)"; \
	  exit 1; \
	fi
endef

.PHONY: help install build test images offline-images up down restart logs status verify \
	cp-ko cp-recover remote-kafka lab-deploy local-run local-status local-stop compose-check clean \
	clean-all

help: ## Show all commands
	@echo "EV charging simulation: make <target>"
	@echo
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{ printf "  %-15s %s\n", $$1, $$2 }'
	@echo
	@echo "Guides: QUICKSTART.md (5 minutes), DEPLOYMENT_GUIDE.md (every option)."

install: ## Install the workspace (pnpm 9; installs it with npm when missing)
	@command -v pnpm >/dev/null 2>&1 || npm install -g pnpm@9
	pnpm install --frozen-lockfile

build: ## Compile every package and the role entry points to dist/
	pnpm build
	pnpm --filter @evcharging/example-compose run build

test: ## Run every test (Kafka tests start their own broker; see README)
	pnpm test

compose-check: ## Validate the compose files without Docker (static checks, compose config)
	pnpm compose:check

offline-images: ## [docker] Build the base images without Docker Hub (root; writes NODE_IMAGE, KAFKA_IMAGE to .env)
	$(call require_docker)
	@[ -f .env ] || cp .env.example .env
	bash docker/offline/build-base-images.sh --env-file .env

images: ## [docker] Build the four role images (central, cp-engine, cp-monitor, driver)
	$(call require_docker)
	$(COMPOSE) build

up: ## [docker] Full deployment: Kafka, Central, 2 CPs, monitors, driver
	$(call require_docker)
	$(COMPOSE) up -d --build
	@port="$${CENTRAL_HTTP_PORT:-$$(sed -n 's/^CENTRAL_HTTP_PORT=//p' .env 2>/dev/null | tail -1)}"; \
	  echo "Dashboard: http://127.0.0.1:$${port:-8000}/   then: make verify"

down: ## [docker] Stop and remove the deployment's containers (volumes are kept)
	$(call require_docker)
	$(COMPOSE) down

restart: ## [docker] Restart every service (the driver runs its list again)
	$(call require_docker)
	$(COMPOSE) restart

logs: ## [docker] Follow the logs of every service
	$(call require_docker)
	$(COMPOSE) logs -f

status: ## Services of the compose deployment, or the local run's processes
	@if docker info >/dev/null 2>&1; then $(COMPOSE) ps; \
	elif [ -f "$${LOCAL_RUN_DIR:-.local-run}/local-run.json" ]; then \
	  echo "(no Docker engine: showing the local run)"; pnpm -s local-run status; \
	else echo "make status: no Docker engine and no local run (start one: make up, or make local-run)"; exit 1; fi

verify: ## Check the running deployment (compose, remote-Kafka compose or local run): ./verify.sh
	./verify.sh

cp-ko: ## [docker] Make engine CP=1|2 answer KO to its monitor (no terminal needed: SIGUSR1)
	$(call require_docker)
	$(COMPOSE) kill -s SIGUSR1 ev-cp-e-$(CP)

cp-recover: ## [docker] Make engine CP=1|2 answer OK again (SIGUSR2)
	$(call require_docker)
	$(COMPOSE) kill -s SIGUSR2 ev-cp-e-$(CP)

remote-kafka: ## [docker] Deploy every role against KAFKA_BOOTSTRAP (no Kafka here; env or .env)
	$(call require_docker)
	$(COMPOSE) -f $(REMOTE_FILE) up -d --build

lab-deploy: ## Interactive menu for lab machines (./deploy.sh)
	./deploy.sh

local-run: ## [local] The whole topology as processes, with the project's Kafka broker
	pnpm local-run start

local-status: ## [local] The local run's processes, pids, ports
	pnpm -s local-run status

local-stop: ## [local] Stop the local run (and the broker it started)
	pnpm -s local-run stop

clean: ## Stop what runs (local run; compose containers when Docker runs), remove build output
	-pnpm -s local-run clean
	@if docker info >/dev/null 2>&1; then $(COMPOSE) down --remove-orphans; \
	else echo "make clean: no Docker engine, no containers to remove"; fi
	rm -rf coverage packages/*/dist examples/*/dist examples/*/test-output packages/*/test-output

clean-all: clean ## clean, plus volumes and images (Docker), the Kafka cache and node_modules
	@if docker info >/dev/null 2>&1; then $(COMPOSE) down -v --rmi local --remove-orphans; \
	else echo "make clean-all: no Docker engine, no volumes or images to remove"; fi
	-bash scripts/kafka.sh stop
	rm -rf .kafka node_modules packages/*/node_modules examples/*/node_modules
