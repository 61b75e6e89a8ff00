; Pharos tag query for PHP. Capture names are documented in python.scm.

(class_declaration name: (name) @name) @definition.class
(interface_declaration name: (name) @name) @definition.interface
(trait_declaration name: (name) @name) @definition.trait
(enum_declaration name: (name) @name) @definition.enum
(function_definition name: (name) @name) @definition.function
(method_declaration name: (name) @name) @definition.method

(namespace_use_declaration) @import
(expression_statement [(require_expression) (require_once_expression)
                       (include_expression) (include_once_expression)]) @import

(function_call_expression function: [(name) @call (qualified_name (name) @call .)])
(member_call_expression name: (name) @call)
(scoped_call_expression name: (name) @call)
(nullsafe_member_call_expression name: (name) @call)
(object_creation_expression [(name) @call (qualified_name (name) @call .)])
(name) @reference
