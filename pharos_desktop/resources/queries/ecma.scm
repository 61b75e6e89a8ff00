; Pharos tag query shared by JavaScript, JSX, TypeScript and TSX (their files inherit it).
; Capture names are documented in python.scm.

(function_declaration name: (identifier) @name) @definition.function
(generator_function_declaration name: (identifier) @name) @definition.function
(class_declaration name: (_) @name) @definition.class
; A class expression: module.exports = class Application {...} is Application; const Foo = class {...} is Foo.
(class name: (_) @name) @definition.class
(variable_declarator name: (identifier) @name value: (class !name) @definition.class)
(method_definition name: (_) @name) @definition.method

; const f = () => ..., let g = function () {...}
(variable_declarator
  name: (identifier) @name
  value: [(arrow_function) (function_expression) (generator_function)]) @definition.function

; obj.method = function () {...}, exports.x = () => ..., module.exports.y = ...
(assignment_expression
  left: (member_expression) @name
  right: [(arrow_function) (function_expression) (generator_function)]) @definition.function

; Objects of functions, the style before classes: Foo.prototype = { push: function () {...} }, var out = {...},
; module.exports = {...}. The object is a scope named after what it is assigned to, so its functions come
; out as Foo.push and out.file (module.exports' as their own names); inside a function it stays absorbed.
(assignment_expression left: (member_expression) @name right: (object)) @scope
(variable_declarator name: (identifier) @name value: (object)) @scope
(pair key: (property_identifier) @name value: (object)) @scope
(pair
  key: (property_identifier) @name
  value: [(arrow_function) (function_expression) (generator_function)]) @definition.function

(import_statement) @import
(lexical_declaration
  (variable_declarator
    value: (call_expression function: (identifier) @_req (#eq? @_req "require")))) @import
(variable_declaration
  (variable_declarator
    value: (call_expression function: (identifier) @_req (#eq? @_req "require")))) @import

(call_expression function: [(identifier) @call (member_expression property: (property_identifier) @call)])
(new_expression constructor: (identifier) @call)
(identifier) @reference
