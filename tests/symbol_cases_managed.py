"""Symbol cases for constructs that were missed or misnamed (issue 25), Java, C#, Kotlin, Swift and Ruby:
case id -> (path, source, expected (kind, symbol, start, end) rows). The language is the path's."""

from __future__ import annotations

JAVA_ENUM_BODIES = """\
enum TokeniserState {
    Data {
        void read(Tokeniser t) { t.emit(); }
    },
    TagOpen {
        void read(Tokeniser t) { t.advance(); }

        private boolean isTag(char c) { return c == '<'; }
    },
    Done;

    abstract void read(Tokeniser t);
}
"""

JAVA_ANONYMOUS_FIELD = """\
public final class JavaFile {
  private static final Appendable NULL_APPENDABLE = new Appendable() {
    @Override public Appendable append(char c) {
      return this;
    }
  };

  public Appendable append(CharSequence s) { return NULL_APPENDABLE; }
}

record Range(int lo, int hi) {
  Range { check(lo <= hi); }
}
"""

# Alternative signatures and bodies lost the methods (serilog ILogger style).
CSHARP_IF_AROUND_SIGNATURES = """\
namespace Serilog
{
    public interface ILogger
    {
        ILogger ForContext(ILogEventEnricher enricher)
#if FEATURE_DEFAULT_INTERFACE
        {
            if (enricher == null!)
                return this;
            return new LoggerConfiguration().CreateLogger();
        }
#else
        ;
#endif

        void Write(LogEventLevel level, string messageTemplate)
#if FEATURE_DEFAULT_INTERFACE
        {
            if (IsEnabled(level))
                Write(level, messageTemplate, NoPropertyValues);
        }
#else
        ;
#endif
    }
}
"""

# An "#if" inside an expression lost the methods after it (commandline's TypeConverter).
CSHARP_IF_IN_EXPRESSION = """\
namespace CommandLine.Core
{
    static class TypeConverter
    {
        private static object ChangeTypeScalarImpl(string value, Type conversionType)
        {
            Func<object> changeType = () =>
            {
                Func<object> safeChangeType = () =>
                {
                    Func<object> withValue =
                        () =>
#if !SKIP_FSHARP
                            isFsOption
                                ? FSharpOptionHelper.Some(type, value) :
#endif
                                ConvertString(value, type);
#if !SKIP_FSHARP
                    Func<object> empty = () => isFsOption ? FSharpOptionHelper.None(type) : null;
#else
                    Func<object> empty = () => null;
#endif
                    return (value == null) ? empty() : withValue();
                };
                return safeChangeType();
            };
            return changeType();
        }

        private static bool IsDefinedEx(object enumValue)
        {
            return true;
        }
    }
}
"""

KOTLIN_EXTENSIONS = """\
fun RawOption.default(value: String): OptionWithValues<String> = copy(value)

fun <T : BaseCliktCommand<T>, CommandT : T> CommandT.subcommands(vararg commands: T): CommandT = apply {
    _subcommands = _subcommands + commands
}

fun String?.orBlank(): String = this ?: ""

fun <T> T.also2(block: (T) -> Unit): T = this
"""

KOTLIN_COMPANION = """\
open class Timeout {
  open fun timeout(timeout: Long): Timeout = this

  companion object {
    val NONE: Timeout = object : Timeout() {
      override fun timeout(timeout: Long): Timeout = this
    }

    fun Timeout.timeout(duration: Duration): Timeout = this
  }
}

class Context {
  companion object Factory {
    fun build(): Context = Context()
  }
}
"""

# The grammar loses the whole class when the constructor's modifiers sit on the line after its name.
KOTLIN_CONSTRUCTOR_NEXT_LINE = """\
actual open class ByteString
internal actual constructor(
  internal actual val data: ByteArray,
) : Serializable, Comparable<ByteString> {
  actual open fun utf8(): String = commonUtf8()

  actual companion object {
    actual fun of(vararg data: Byte) = ByteString(data)
  }
}
"""

KOTLIN_ANNOTATIONS = """\
@DslMarker
annotation class ParameterHolderDsl

class `a command` {
  fun `run it`() = 1
}
"""

SWIFT_MEMBERS = """\
public struct JSON {
    public var type: Type { return _type }
    public var object: Any {
        get { return rawArray }
        set { rawArray = newValue }
    }
    var stored: Int = 0

    public subscript(path: [JSONSubscriptType]) -> JSON {
        get { return self }
    }

    deinit {
        release()
    }
}

extension JSON: Comparable {
    public static func == (lhs: JSON, rhs: JSON) -> Bool { return lhs.object == rhs.object }
}

public func <= (lhs: JSON, rhs: JSON) -> Bool { return true }
"""

RUBY_CLASS_METHODS = """\
class URI
  def self.join(*uris)
    uris.reduce { |a, b| a.join(b) }
  end

  def join(uri)
    merge(uri)
  end

  class << self
    def help(shell)
      shell.say(usage)
    end
  end

  def help
    self.class.help(shell)
  end
end
"""

MANAGED_CASES = {
    "java: enum constants with bodies": ("src/TokeniserState.java", JAVA_ENUM_BODIES, [
        ('enum', 'TokeniserState', 1, 13),
        ('class', 'TokeniserState.Data', 2, 4),
        ('method', 'TokeniserState.Data.read', 3, 3),
        ('class', 'TokeniserState.TagOpen', 5, 9),
        ('method', 'TokeniserState.TagOpen.read', 6, 6),
        ('method', 'TokeniserState.TagOpen.isTag', 8, 8),
    ]),
    "java: an anonymous class in a field, a compact constructor": ("src/JavaFile.java", JAVA_ANONYMOUS_FIELD, [
        ('class', 'JavaFile', 1, 9),
        ('method', 'JavaFile.NULL_APPENDABLE.append', 3, 5),
        ('method', 'JavaFile.append', 8, 8),
        ('class', 'Range', 11, 13),
        ('method', 'Range.Range', 12, 12),
    ]),
    "csharp: #if around signatures and bodies": ("src/ILogger.cs", CSHARP_IF_AROUND_SIGNATURES, [
        ('interface', 'ILogger', 3, 25),
        ('method', 'ILogger.ForContext', 5, 11),
        ('method', 'ILogger.Write', 16, 21),
    ]),
    "csharp: #if inside an expression": ("src/TypeConverter.cs", CSHARP_IF_IN_EXPRESSION, [
        ('class', 'TypeConverter', 3, 34),
        ('method', 'TypeConverter.ChangeTypeScalarImpl', 5, 28),
        ('method', 'TypeConverter.IsDefinedEx', 30, 33),
    ]),
    "kotlin: extension functions": ("src/Options.kt", KOTLIN_EXTENSIONS, [
        ('method', 'RawOption.default', 1, 1),
        ('method', 'BaseCliktCommand.subcommands', 3, 5),
        ('method', 'String.orBlank', 7, 7),
        ('function', 'also2', 9, 9),
    ]),
    "kotlin: companion objects and objects in properties": ("src/Timeout.kt", KOTLIN_COMPANION, [
        ('class', 'Timeout', 1, 11),
        ('method', 'Timeout.timeout', 2, 2),
        ('method', 'Timeout.companion.NONE.timeout', 6, 6),
        ('method', 'Timeout.companion.Timeout.timeout', 9, 9),
        ('class', 'Context', 13, 17),
        ('method', 'Context.Factory.build', 15, 15),
    ]),
    "kotlin: constructor modifiers on the next line": ("src/ByteString.kt", KOTLIN_CONSTRUCTOR_NEXT_LINE, [
        ('class', 'ByteString', 1, 10),
        ('method', 'ByteString.utf8', 5, 5),
        ('method', 'ByteString.companion.of', 8, 8),
    ]),
    "kotlin: annotation classes, names in backticks": ("src/Dsl.kt", KOTLIN_ANNOTATIONS, [
        ('class', 'ParameterHolderDsl', 1, 2),
        ('class', 'a command', 4, 6),
        ('method', 'a command.run it', 5, 5),
    ]),
    "swift: computed properties, subscripts, operators": ("Sources/JSON.swift", SWIFT_MEMBERS, [
        ('struct', 'JSON', 1, 16),
        ('method', 'JSON.type', 2, 2),
        ('method', 'JSON.object', 3, 6),
        ('method', 'JSON.subscript', 9, 11),
        ('method', 'JSON.deinit', 13, 15),
        ('method', 'JSON.==', 19, 19),
        ('function', '<=', 22, 22),
    ]),
    "ruby: class methods beside instance methods": ("lib/uri.rb", RUBY_CLASS_METHODS, [
        ('class', 'URI', 1, 19),
        ('method', 'URI.self.join', 2, 4),
        ('method', 'URI.join', 6, 8),
        ('method', 'URI.self.help', 11, 13),
        ('method', 'URI.help', 16, 18),
    ]),
}
