"""Symbol cases for constructs that were missed or misnamed (issue 25), Go, Rust, C and C++:
case id -> (path, source, expected (kind, symbol, start, end) rows). The language is the path's."""

from __future__ import annotations

GO_NAMED_TYPES = """\
package mux

// MatcherFunc is the function signature used by custom matchers.
type MatcherFunc func(*http.Request, *RouteMatch) bool

type Level uint32
type Fields map[string]interface{}

type (
	regexpType int
	// Alias of a string.
	Name = string
)

func (l Level) String() string { return "" }
"""

RUST_MODULES = """\
pub struct Map;

pub mod api {
    pub struct Handle;
    impl Handle {
        pub fn open() {}
    }
    pub fn run() {}
}

#[cfg(feature = "serde")]
mod impl_serde {
    impl Serialize for Map {
        fn serialize(&self) {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_works() {}
}
"""

# lz4.c: "#if" around labels inside a function, itself inside a "#ifndef" around half the file, lost
# the function (and, in the whole file, every one after it); a macro on the line before the name.
C_DIRECTIVES_AND_MACROS = """\
#ifndef LZ4_COMMONDEFS_ONLY
static const int LZ4_64Klimit = ((64 KB) + (MFLIMIT-1));

LZ4_FORCE_INLINE int
LZ4_decompress_generic(const char* src, char* dst, int srcSize)
{
    {   const BYTE* ip = (const BYTE*) src;
        while (1) {
#if LZ4_FAST_DEC_LOOP
        safe_literal_copy:
#endif
            if (ip > src) goto _output_error;
#if LZ4_FAST_DEC_LOOP
        safe_match_copy:
#endif
            op = cpy;
        }
    }
    return 0;
_output_error:
    return -1;
}

LZ4_FORCE_O2
int LZ4_decompress_safe(const char* source, char* dest)
{
    return LZ4_decompress_generic(source, dest, 0);
}
#endif   /* LZ4_COMMONDEFS_ONLY */
"""

# xxhash.c: error recovery took the return type for the name ("XXH_errorcode" spanning two functions).
C_RETURN_TYPE_MACRO = """\
XXH_PUBLIC_API XXH_errorcode XXH32_update (XXH32_state_t* state_in, const void* input, size_t len)
{
    return XXH32_update_endian(state_in, input, len);
}

XXH_PUBLIC_API XXH_errorcode XXH64_update (XXH64_state_t* state_in, const void* input, size_t len)
{
    return XXH64_update_endian(state_in, input, len);
}
"""

# One function in alternatives stays three definitions (each with its directive line); alternative
# signatures of one make one.
C_ALTERNATIVES = """\
#if defined(LZ4_FORCE_MEMORY_ACCESS) && (LZ4_FORCE_MEMORY_ACCESS==2)
static U16 LZ4_read16(const void* memPtr) { return *(const U16*) memPtr; }
#elif defined(LZ4_FORCE_MEMORY_ACCESS) && (LZ4_FORCE_MEMORY_ACCESS==1)
static U16 LZ4_read16(const void* ptr) { return ((const LZ4_unalign16*)ptr)->u16; }
#else
static U16 LZ4_read16(const void* memPtr) { U16 val; LZ4_memcpy(&val, memPtr, sizeof(val)); return val; }
#endif

#ifdef WIDE
int ZEXPORT gzputs(gzFile file, const wchar_t *s)
#else
int ZEXPORT gzputs(gzFile file, const char *s)
#endif
{
    return gz_write(file, s, strlen(s));
}
"""

# fmt: a macro alone on a line made "namespace" a function holding the namespace, and a template
# class after an export macro a method with a 200-character name; "FMT_TRY {" / "FMT_CATCH(...) {}".
CPP_NAMESPACE_MACROS = """\
FMT_BEGIN_NAMESPACE
namespace detail {
template <typename T> struct is_reference_wrapper : std::false_type {};

FMT_CONSTEXPR inline auto to_unsigned(int value) -> unsigned { return value; }
}  // namespace detail

FMT_BEGIN_EXPORT
template <typename Context> class dynamic_format_arg_store {
 public:
  void clear() { data_.clear(); }
};
FMT_END_EXPORT

FMT_FUNC void report_system_error(int error_code, const char* message) noexcept {
  FMT_TRY {
    do_report(error_code, message);
  }
  FMT_CATCH(...) {}
}
FMT_END_NAMESPACE
"""

# leveldb, spdlog: export macros made the class a function; a macro after the parameters made
# "SPDLOG_NOEXCEPT" a function; macros and return types leaked into names.
CPP_EXPORT_MACROS = """\
namespace spdlog {
class SPDLOG_API logger {
public:
    explicit logger(std::string name)
        : name_(std::move(name)) {}
    logger(logger &&other) SPDLOG_NOEXCEPT;
    bool should_log(level::level_enum msg_level) const {
        return msg_level >= level_.load(std::memory_order_relaxed);
    }
};

SPDLOG_INLINE void logger::swap(spdlog::logger &other) SPDLOG_NOEXCEPT {
    name_.swap(other.name_);
}

void SPDLOG_INLINE thread_pool::post_log(async_logger_ptr &&worker_ptr) {
    post_async_msg_(std::move(worker_ptr));
}
}  // namespace spdlog

CLI11_INLINE detail::Classifier App::_recognize(const std::string &current) const {
    return detail::Classifier::NONE;
}
"""

# leveldb's env_posix.cc: "#if" inside a constructor's initializer list.
CPP_IF_IN_INITIALIZERS = """\
namespace leveldb {
namespace {

class Limiter {
 public:
  Limiter(int max_acquires)
      :
#if !defined(NDEBUG)
        max_acquires_(max_acquires),
#endif  // !defined(NDEBUG)
        acquires_allowed_(max_acquires) {
    assert(max_acquires >= 0);
  }

  bool Acquire() {
    int old_acquires_allowed = acquires_allowed_.fetch_sub(1);
    return old_acquires_allowed > 0;
  }

 private:
#if !defined(NDEBUG)
  const int max_acquires_;
#endif  // !defined(NDEBUG)
  std::atomic<int> acquires_allowed_;
};

class PosixSequentialFile final : public SequentialFile {
 public:
  Status Skip(uint64_t n) override {
    return Status::OK();
  }
};

}  // namespace
}  // namespace leveldb
"""

CPP_NAMES = """\
class locale_ref {
 public:
  inline explicit operator bool() const noexcept { return locale_ != nullptr; }
  operator basic_string_view<Char>() const { return {data_, size_}; }
  auto operator()(int a) -> int { return a; }
};

template <typename T>
struct classify_object<T, typename std::enable_if<(type_count<T>::value >= 2)>::type> {
  static constexpr int value = 2;
};

std::vector<std::string> split_up(std::string str, char delimiter) { return {}; }
"""

NATIVE_CASES = {
    "go: types that are not structs or interfaces": ("mux/route.go", GO_NAMED_TYPES, [
        ('class', 'MatcherFunc', 3, 4),
        ('class', 'Level', 6, 6),
        ('class', 'Fields', 7, 7),
        ('class', 'regexpType', 10, 10),
        ('class', 'Name', 11, 12),
        ('method', 'Level.String', 15, 15),
    ]),
    "rust: inline modules qualify, impls name their type": ("src/map.rs", RUST_MODULES, [
        ('struct', 'Map', 1, 1),
        ('struct', 'api.Handle', 4, 4),
        ('method', 'Handle.open', 6, 6),
        ('function', 'api.run', 8, 8),
        ('method', 'Map.serialize', 14, 14),
        ('function', 'tests.it_works', 22, 23),
    ]),
    "c: #if around labels inside #ifndef, a macro before the type": ("lib/lz4.c", C_DIRECTIVES_AND_MACROS, [
        ('function', 'LZ4_decompress_generic', 4, 22),
        ('function', 'LZ4_decompress_safe', 24, 28),
    ]),
    "c: a macro type before the name": ("lib/xxhash.c", C_RETURN_TYPE_MACRO, [
        ('function', 'XXH32_update', 1, 4),
        ('function', 'XXH64_update', 6, 9),
    ]),
    "c: #if alternatives": ("lib/read.c", C_ALTERNATIVES, [
        ('function', 'LZ4_read16', 1, 2),
        ('function', 'LZ4_read16', 3, 4),
        ('function', 'LZ4_read16', 5, 6),
        ('function', 'gzputs', 9, 16),
    ]),
    "cpp: namespace and export macros": ("include/fmt/args.h", CPP_NAMESPACE_MACROS, [
        ('struct', 'is_reference_wrapper', 3, 3),
        ('function', 'to_unsigned', 5, 5),
        ('class', 'dynamic_format_arg_store', 8, 12),
        ('method', 'dynamic_format_arg_store.clear', 11, 11),
        ('function', 'report_system_error', 15, 20),
    ]),
    "cpp: export macros on classes and members": ("include/spdlog/logger.h", CPP_EXPORT_MACROS, [
        ('class', 'logger', 2, 10),
        ('method', 'logger.logger', 4, 5),
        ('method', 'logger.should_log', 7, 9),
        ('method', 'logger.swap', 12, 14),
        ('method', 'thread_pool.post_log', 16, 18),
        ('method', 'App._recognize', 21, 23),
    ]),
    "cpp: #if inside an initializer list": ("util/env_posix.cc", CPP_IF_IN_INITIALIZERS, [
        ('class', 'Limiter', 4, 25),
        ('method', 'Limiter.Limiter', 6, 13),
        ('method', 'Limiter.Acquire', 15, 18),
        ('class', 'PosixSequentialFile', 27, 32),
        ('method', 'PosixSequentialFile.Skip', 29, 31),
    ]),
    "cpp: operators and specializations": ("include/fmt/base.h", CPP_NAMES, [
        ('class', 'locale_ref', 1, 6),
        ('method', 'locale_ref.operator bool', 3, 3),
        ('method', 'locale_ref.operator basic_string_view', 4, 4),
        ('method', 'locale_ref.operator()', 5, 5),
        ('struct', 'classify_object', 8, 11),
        ('function', 'split_up', 13, 13),
    ]),
}
