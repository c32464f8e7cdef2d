#include "cre2.h"

#include <re2/re2.h>

#include <cstring>
#include <new>

struct cre2_regex {
    RE2 re;
    cre2_regex(const re2::StringPiece &pattern, const RE2::Options &options) : re(pattern, options) {}
};

static void copy_error(const char *reason, char *error, size_t capacity) {
    if (capacity == 0) return;
    std::strncpy(error, reason, capacity - 1);
    error[capacity - 1] = 0;
}

cre2_regex *cre2_compile(const char *pattern, size_t length, long long max_memory, char *error, size_t error_capacity) {
    RE2::Options options;
    options.set_encoding(RE2::Options::EncodingUTF8);
    // A refused pattern is reported to the caller; RE2 must not also write it to stderr.
    options.set_log_errors(false);
    options.set_max_mem(max_memory);
    auto *regex = new (std::nothrow) cre2_regex(re2::StringPiece(pattern, length), options);
    if (regex == nullptr) {
        copy_error("out of memory", error, error_capacity);
        return nullptr;
    }
    if (!regex->re.ok()) {
        copy_error(regex->re.error().c_str(), error, error_capacity);
        delete regex;
        return nullptr;
    }
    return regex;
}

int cre2_partial_match(const cre2_regex *regex, const char *text, size_t length) {
    return RE2::PartialMatch(re2::StringPiece(text, length), regex->re) ? 1 : 0;
}

void cre2_free(cre2_regex *regex) {
    delete regex;
}
