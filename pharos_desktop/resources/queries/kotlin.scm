; Pharos tag query for Kotlin. Capture names are documented in python.scm.
; "interface X" and "enum class X" are class_declarations told apart by their keyword/body.

(class_declaration name: (identifier) @name) @definition.class
(class_declaration "interface" name: (identifier) @name) @definition.interface
(class_declaration name: (identifier) @name (enum_class_body)) @definition.enum
(object_declaration name: (identifier) @name) @definition.class
(function_declaration name: (identifier) @name) @definition.function
; An extension function is named with its receiver type: "fun RawOption.default" is RawOption.default.
(function_declaration
  [(user_type) @receiver (nullable_type (user_type) @receiver)] . "." . name: (identifier) @name) @definition.function
; A companion object qualifies its members (Timeout.companion.timeout beside the member Timeout.timeout), as
; does an object held by a property (Timeout.companion.NONE.timeout).
(companion_object name: (identifier) @name) @scope
(companion_object !name "companion" @name) @scope
(property_declaration (variable_declaration (identifier) @name) (object_literal)) @scope
; "@DslMarker annotation class X": the grammar reads an annotated expression.
(annotated_expression
  (infix_expression . (identifier) @_annotation . (identifier) @_class . (identifier) @name .)
  (#eq? @_annotation "annotation") (#eq? @_class "class")) @definition.class
(secondary_constructor "constructor" @name) @definition.method

(import) @import

(call_expression . [(identifier) @call (navigation_expression (identifier) @call .)])
(identifier) @reference
