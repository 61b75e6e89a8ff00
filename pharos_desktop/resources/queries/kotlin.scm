; Pharos tag query for Kotlin. Capture names are documented in python.scm.
; "interface X" and "enum class X" are class_declarations told apart by their keyword/body.

(class_declaration name: (identifier) @name) @definition.class
(class_declaration "interface" name: (identifier) @name) @definition.interface
(class_declaration name: (identifier) @name (enum_class_body)) @definition.enum
(object_declaration name: (identifier) @name) @definition.class
(function_declaration name: (identifier) @name) @definition.function
(secondary_constructor "constructor" @name) @definition.method

(import) @import

(call_expression . [(identifier) @call (navigation_expression (identifier) @call .)])
(identifier) @reference
