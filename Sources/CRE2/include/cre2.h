// A C view of RE2 for Swift (issue 10 item 10): policy regexes run in linear time. Kept to what
// the policy engine needs, compile once, match many times, free, so any target can import it
// without C++ interoperability.
#ifndef PORTCULLIS_CRE2_H
#define PORTCULLIS_CRE2_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cre2_regex cre2_regex;

// Compiles `pattern` (UTF-8, `length` bytes, may hold NUL) with RE2's default syntax and
// `max_memory` bytes for the compiled program. Returns NULL and writes a NUL-terminated reason
// into `error` (truncated to `error_capacity` bytes) when RE2 refuses the pattern.
cre2_regex *cre2_compile(const char *pattern, size_t length, long long max_memory, char *error, size_t error_capacity);

// 1 when the pattern matches somewhere in `text` (unanchored unless the pattern anchors), else 0.
// Safe to call from many threads at once on the same compiled pattern.
int cre2_partial_match(const cre2_regex *regex, const char *text, size_t length);

void cre2_free(cre2_regex *regex);

#ifdef __cplusplus
}
#endif

#endif
