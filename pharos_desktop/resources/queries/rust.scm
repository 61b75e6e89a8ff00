; Pharos tag query for Rust. Capture names are documented in python.scm.
; impl blocks are scopes: "impl Foo { fn new }" and "impl Trait for Foo { fn fmt }" give Foo.new, Foo.fmt.

(function_item name: (identifier) @name) @definition.function
(struct_item name: (type_identifier) @name) @definition.struct
(union_item name: (type_identifier) @name) @definition.struct
(enum_item name: (type_identifier) @name) @definition.enum
(trait_item name: (type_identifier) @name) @definition.trait
(macro_definition name: (identifier) @name) @definition.function
(impl_item type: (_) @name) @scope

(use_declaration) @import
(extern_crate_declaration) @import

(call_expression function: [(identifier) @call
                            (scoped_identifier name: (identifier) @call)
                            (field_expression field: (field_identifier) @call)])
(macro_invocation macro: (identifier) @call)
(identifier) @reference
(type_identifier) @reference
