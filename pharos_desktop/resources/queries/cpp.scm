; inherits: c
; Pharos tag query for C++, on top of c.scm. Out-of-class "Foo::bar" definitions are named by
; their qualified declarator and come out as Foo.bar. Capture names are documented in python.scm.

(class_specifier name: (_) @name body: (_)) @definition.class

(using_declaration) @import

(call_expression function: [(qualified_identifier name: (identifier) @call)
                            (template_function name: (identifier) @call)])
(namespace_identifier) @reference
(struct_specifier name: [(template_type) (qualified_identifier)] @name body: (_)) @definition.struct
(union_specifier name: [(template_type) (qualified_identifier)] @name body: (_)) @definition.struct
(enum_specifier name: [(template_type) (qualified_identifier)] @name body: (_)) @definition.enum
