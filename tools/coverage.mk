# make coverage: line and branch coverage of src/ (gcc --coverage, gcov).
# Builds everything in build-cov (COV=1), runs every test binary and fuzz
# corpus replay (not the shell tests: they build their own way), then
# tools/coverage.sh prints the per-module table and writes it to
# build-cov/coverage.txt (never-executed lines: build-cov/uncovered.txt).
coverage:
	@$(MAKE) --no-print-directory COV=1 coverage-run
coverage-run: test-bin
	@find $(BUILD) -name '*.gcda' -delete
	@VMKIT_BIN=$(abspath $(VMKIT)) VMKIT_BUILD_DIR=$(abspath $(BUILD)) \
		sh tests/run-tests.sh $(TEST_BIN) $(FUZZ_REPLAY) | tail -n 1
	@sh tools/coverage.sh $(BUILD)
