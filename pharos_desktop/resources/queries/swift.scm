; Pharos tag query for Swift. struct/class/enum/extension are all class_declarations told apart
; by their declaration_kind; an extension is a scope (its methods come out as Type.method).
; Capture names are documented in python.scm.

(class_declaration declaration_kind: "class" name: (type_identifier) @name) @definition.class
(class_declaration declaration_kind: "actor" name: (type_identifier) @name) @definition.class
(class_declaration declaration_kind: "struct" name: (type_identifier) @name) @definition.struct
(class_declaration declaration_kind: "enum" name: (type_identifier) @name) @definition.enum
(class_declaration declaration_kind: "extension" name: (_) @name) @scope
(protocol_declaration name: (type_identifier) @name) @definition.interface
(function_declaration name: (simple_identifier) @name) @definition.function
(init_declaration "init" @name) @definition.method

(import_declaration) @import

(call_expression . [(simple_identifier) @call
                    (navigation_expression suffix: (navigation_suffix suffix: (simple_identifier) @call))])
(simple_identifier) @reference
(type_identifier) @reference
