; Pharos tag query for C (cpp.scm inherits it). Capture names are documented in python.scm.
; The @name of a function is its whole declarator; the code follows the declarator chain
; (pointer_declarator > function_declarator > identifier), so "char *f(void)" is found as f.

;
; What error recovery makes of code the grammar cannot place is no function: "FMT_BEGIN_NAMESPACE namespace
; detail {...}" (a keyword for a name) and "FMT_CATCH(...) {}" (a macro call with a body, no return type).
(function_definition
  type: (_)
  declarator: (_) @name
  (#not-match? @name "^(namespace|if|else|for|while|do|switch|case|return|sizeof|try|catch|using|typedef)\\b")) @definition.function
(function_definition
  !type
  declarator: (_) @name
  (#not-match? @name "^([A-Z][A-Z0-9_]*\\s*[(]|(namespace|if|else|for|while|do|switch|case|return|sizeof|try|catch|using|typedef)\\b)")) @definition.function
(struct_specifier name: (type_identifier) @name body: (_)) @definition.struct
(union_specifier name: (type_identifier) @name body: (_)) @definition.struct
(enum_specifier name: (type_identifier) @name body: (_)) @definition.enum
(type_definition type: (struct_specifier !name body: (_)) declarator: (type_identifier) @name) @definition.struct
(type_definition type: (union_specifier !name body: (_)) declarator: (type_identifier) @name) @definition.struct
(type_definition type: (enum_specifier !name body: (_)) declarator: (type_identifier) @name) @definition.enum

(preproc_include) @import

(call_expression function: [(identifier) @call (field_expression field: (field_identifier) @call)])
(identifier) @reference
(type_identifier) @reference
