; Pharos tag query for Ruby. Modules qualify what they hold (Accounts.User.greet).
; Capture names are documented in python.scm.

(class name: [(constant) (scope_resolution)] @name) @definition.class
(module name: [(constant) (scope_resolution)] @name) @definition.module
(method name: (_) @name) @definition.function
; Class methods are Class.self.name, beside the instance method Class.name ("def self.join" and "def join"
; are two methods); so are the methods of a "class << self" block, a scope named self.
(singleton_method object: (_) @receiver name: (_) @name) @definition.method
(singleton_class value: (self) @name) @scope

(call
  method: (identifier) @_m
  (#any-of? @_m "require" "require_relative" "load" "autoload")) @import

(call method: (identifier) @call)
(constant) @reference
