# make coverage: line and branch coverage of src/ (gcc --coverage, gcov).
# Builds everything in build-cov (COV=1), runs every test binary and fuzz
# corpus replay (not the shell tests: they build their own way), then
# tools/coverage.sh prints the per-module table and writes it to
# build-cov/coverage.txt (never-executed lines: build-cov/uncovered.txt),
# and tools/coverage_uncovered.sh fails the target if a never-executed
# line is not explained in tools/coverage_explained.txt (COVERAGE_GATE=warn:
# only warn). `make coverage-docs` also rewrites the list in docs/testing.md.
coverage:
	@$(MAKE) --no-print-directory COV=1 coverage-run
coverage-run: test-bin
	@find $(BUILD) -name '*.gcda' -delete
	@VMKIT_BIN=$(abspath $(VMKIT)) VMKIT_BUILD_DIR=$(abspath $(BUILD)) \
		sh tests/run-tests.sh $(TEST_BIN) $(FUZZ_REPLAY) | tail -n 1
	@sh tools/coverage.sh $(BUILD)
	@sh tools/coverage_uncovered.sh $(BUILD) $(COVERAGE_DOCS)
coverage-docs:
	@$(MAKE) --no-print-directory COV=1 COVERAGE_DOCS="--docs docs/testing.md" coverage-run
.PHONY: coverage coverage-run coverage-docs
