//! `awk`'s parser: tokens to the syntax tree, by recursive descent with one function
//! per precedence level (POSIX's grammar).

use super::*;
use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

impl Program {
    /// Parse program text.
    pub fn compile(src: &str) -> Result<Program, AwkError> {
        let toks = lex(src)?;
        let mut p = Parser {
            toks,
            pos: 0,
            regexes: Vec::new(),
            no_gt: false,
            no_in: false,
        };
        let rules = p.program()?;
        Ok(Program {
            rules,
            regexes: p.regexes,
        })
    }
}

pub(crate) struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    pub(crate) regexes: Vec<Ere>,
    /// Inside a `print` list: `>` would be redirection, so it is not a comparison.
    no_gt: bool,
    /// In the first clause of `for (`: `in` belongs to the loop.
    no_in: bool,
}

pub(crate) type PResult<T> = Result<T, AwkError>;

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos]
    }

    fn next(&mut self) -> Tok {
        let t = self.toks[self.pos].clone();
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        t
    }

    fn is_op(&self, o: &str) -> bool {
        matches!(self.peek(), Tok::Op(x) if *x == o)
    }

    fn is_kw(&self, k: &str) -> bool {
        matches!(self.peek(), Tok::Kw(x) if *x == k)
    }

    fn eat_op(&mut self, o: &str) -> bool {
        if self.is_op(o) {
            self.next();
            true
        } else {
            false
        }
    }

    fn expect_op(&mut self, o: &str) -> PResult<()> {
        if self.eat_op(o) {
            Ok(())
        } else {
            fail(format!(
                "syntax error: expected `{o}` near {:?}",
                self.peek()
            ))
        }
    }

    fn newlines(&mut self) {
        while *self.peek() == Tok::Newline {
            self.next();
        }
    }

    fn terminators(&mut self) {
        while *self.peek() == Tok::Newline || self.is_op(";") {
            self.next();
        }
    }

    pub(crate) fn program(&mut self) -> PResult<Vec<(Pattern, Option<Stmt>)>> {
        let mut rules = Vec::new();
        self.terminators();
        while *self.peek() != Tok::Eof {
            let pat = if self.is_kw("BEGIN") {
                self.next();
                Pattern::Begin
            } else if self.is_kw("END") {
                self.next();
                Pattern::End
            } else if self.is_op("{") {
                Pattern::All
            } else if self.is_kw("function") {
                return fail(String::from("user-defined functions are not supported"));
            } else {
                let a = self.expr()?;
                if self.eat_op(",") {
                    self.newlines();
                    Pattern::Range(a, self.expr()?)
                } else {
                    Pattern::Expr(a)
                }
            };
            let action = if self.is_op("{") {
                Some(self.block()?)
            } else {
                if matches!(pat, Pattern::Begin | Pattern::End) {
                    return fail(String::from("BEGIN and END need an action"));
                }
                None
            };
            rules.push((pat, action));
            self.terminators();
        }
        Ok(rules)
    }

    fn block(&mut self) -> PResult<Stmt> {
        self.expect_op("{")?;
        let mut body = Vec::new();
        self.terminators();
        while !self.is_op("}") {
            if *self.peek() == Tok::Eof {
                return fail(String::from("syntax error: missing `}`"));
            }
            body.push(self.statement()?);
            self.terminators();
        }
        self.next();
        Ok(Stmt::Block(body))
    }

    /// A simple statement ends at `;`, a newline or before `}`.
    fn end_simple(&mut self) -> PResult<()> {
        if self.is_op(";") || *self.peek() == Tok::Newline {
            self.next();
            Ok(())
        } else if self.is_op("}") || *self.peek() == Tok::Eof {
            Ok(())
        } else {
            fail(format!("syntax error near {:?}", self.peek()))
        }
    }

    fn body(&mut self) -> PResult<Stmt> {
        self.newlines();
        if self.is_op(";") {
            self.next();
            return Ok(Stmt::Block(Vec::new()));
        }
        self.statement()
    }

    fn statement(&mut self) -> PResult<Stmt> {
        if self.is_op("{") {
            return self.block();
        }
        let kw = match self.peek() {
            Tok::Kw(k) => Some(*k),
            _ => None,
        };
        let s = match kw {
            Some("if") => {
                self.next();
                self.expect_op("(")?;
                let c = self.expr()?;
                self.expect_op(")")?;
                let then = self.body()?;
                // `else` may follow after newlines or a `;`.
                let save = self.pos;
                self.terminators();
                if self.is_kw("else") {
                    self.next();
                    let e = self.body()?;
                    return Ok(Stmt::If(c, Box::new(then), Some(Box::new(e))));
                }
                self.pos = save;
                return Ok(Stmt::If(c, Box::new(then), None));
            }
            Some("while") => {
                self.next();
                self.expect_op("(")?;
                let c = self.expr()?;
                self.expect_op(")")?;
                if self.is_op(";") {
                    self.next();
                    return Ok(Stmt::While(c, Box::new(Stmt::Block(Vec::new()))));
                }
                return Ok(Stmt::While(c, Box::new(self.body()?)));
            }
            Some("do") => {
                self.next();
                let b = self.body()?;
                self.terminators();
                if !self.is_kw("while") {
                    return fail(String::from("syntax error: `do` without `while`"));
                }
                self.next();
                self.expect_op("(")?;
                let c = self.expr()?;
                self.expect_op(")")?;
                Stmt::Do(Box::new(b), c)
            }
            Some("for") => {
                self.next();
                self.expect_op("(")?;
                if let (Tok::Name(k), Tok::Kw("in"), Tok::Name(a), Tok::Op(")")) = (
                    self.toks[self.pos].clone(),
                    self.toks.get(self.pos + 1).cloned().unwrap_or(Tok::Eof),
                    self.toks.get(self.pos + 2).cloned().unwrap_or(Tok::Eof),
                    self.toks.get(self.pos + 3).cloned().unwrap_or(Tok::Eof),
                ) {
                    self.pos += 4;
                    return Ok(Stmt::ForIn(k, a, Box::new(self.body()?)));
                }
                let init = if self.is_op(";") {
                    None
                } else {
                    Some(self.simple_expr_no_in()?)
                };
                self.expect_op(";")?;
                self.newlines();
                let cond = if self.is_op(";") {
                    None
                } else {
                    Some(self.expr()?)
                };
                self.expect_op(";")?;
                self.newlines();
                let step = if self.is_op(")") {
                    None
                } else {
                    Some(self.expr()?)
                };
                self.expect_op(")")?;
                if self.is_op(";") {
                    self.next();
                    return Ok(Stmt::For(
                        init,
                        cond,
                        step,
                        Box::new(Stmt::Block(Vec::new())),
                    ));
                }
                return Ok(Stmt::For(init, cond, step, Box::new(self.body()?)));
            }
            Some("next") => {
                self.next();
                Stmt::Next
            }
            Some("break") => {
                self.next();
                Stmt::Break
            }
            Some("continue") => {
                self.next();
                Stmt::Continue
            }
            Some("exit") => {
                self.next();
                if self.is_op(";")
                    || self.is_op("}")
                    || matches!(self.peek(), Tok::Newline | Tok::Eof)
                {
                    Stmt::Exit(None)
                } else {
                    Stmt::Exit(Some(self.expr()?))
                }
            }
            Some("delete") => {
                self.next();
                let name = match self.next() {
                    Tok::Name(n) => n,
                    t => return fail(format!("syntax error: delete {t:?}")),
                };
                if self.eat_op("[") {
                    let subs = self.expr_list("]")?;
                    Stmt::Delete(name, Some(subs))
                } else {
                    Stmt::Delete(name, None)
                }
            }
            Some("print") | Some("printf") => {
                self.next();
                let args = self.print_args()?;
                if self.is_op("|") {
                    return fail(String::from("output to a pipe is not supported"));
                }
                let redirect = if self.is_op(">") || self.is_op(">>") {
                    let append = self.is_op(">>");
                    self.next();
                    self.no_gt = true;
                    let file = self.concat();
                    self.no_gt = false;
                    Some(Redirect {
                        append,
                        file: file?,
                    })
                } else {
                    None
                };
                if kw == Some("print") {
                    Stmt::Print(args, redirect)
                } else {
                    if args.is_empty() {
                        return fail(String::from("printf needs a format"));
                    }
                    Stmt::Printf(args, redirect)
                }
            }
            Some("getline") | Some("return") | Some("function") => {
                return fail(format!("`{}` is not supported", kw.unwrap()));
            }
            _ => Stmt::Expr(self.expr()?),
        };
        self.end_simple()?;
        Ok(s)
    }

    fn simple_expr_no_in(&mut self) -> PResult<Expr> {
        self.no_in = true;
        let e = self.expr();
        self.no_in = false;
        e
    }

    fn print_args(&mut self) -> PResult<Vec<Expr>> {
        if self.is_op(";")
            || self.is_op("}")
            || self.is_op(">")
            || self.is_op(">>")
            || matches!(self.peek(), Tok::Newline | Tok::Eof)
        {
            return Ok(Vec::new());
        }
        // `print (a, b)`: a parenthesised list, when the `)` ends the statement.
        if self.is_op("(") {
            let save = self.pos;
            self.next();
            let list = self.expr_list(")")?;
            if self.is_op(";")
                || self.is_op("}")
                || self.is_op(">")
                || self.is_op(">>")
                || self.is_op("|")
                || matches!(self.peek(), Tok::Newline | Tok::Eof)
            {
                return Ok(list);
            }
            self.pos = save;
        }
        self.no_gt = true;
        let mut list = vec![self.expr()?];
        while self.eat_op(",") {
            self.newlines();
            list.push(self.expr()?);
        }
        self.no_gt = false;
        Ok(list)
    }

    /// Expressions separated by commas, up to the closing `close`.
    fn expr_list(&mut self, close: &str) -> PResult<Vec<Expr>> {
        let (gt, inn) = (self.no_gt, self.no_in);
        self.no_gt = false;
        self.no_in = false;
        let mut list = Vec::new();
        self.newlines();
        if !self.is_op(close) {
            list.push(self.expr()?);
            while self.eat_op(",") {
                self.newlines();
                list.push(self.expr()?);
            }
        }
        self.newlines();
        self.expect_op(close)?;
        self.no_gt = gt;
        self.no_in = inn;
        Ok(list)
    }

    fn expr(&mut self) -> PResult<Expr> {
        let lhs = self.ternary()?;
        let op = match self.peek() {
            Tok::Op(o @ ("=" | "+=" | "-=" | "*=" | "/=" | "%=" | "^=")) => *o,
            _ => return Ok(lhs),
        };
        if !matches!(lhs, Expr::Var(_) | Expr::Field(_) | Expr::Index(..)) {
            return fail(String::from("syntax error: assignment to a non-variable"));
        }
        self.next();
        self.newlines();
        let rhs = self.expr()?;
        let kind = if op == "=" { None } else { Some(&op[..1]) };
        let kind = kind.map(|k| match k {
            "+" => "+",
            "-" => "-",
            "*" => "*",
            "/" => "/",
            "%" => "%",
            _ => "^",
        });
        Ok(Expr::Assign(Box::new(lhs), kind, Box::new(rhs)))
    }

    fn ternary(&mut self) -> PResult<Expr> {
        let c = self.or()?;
        if self.eat_op("?") {
            self.newlines();
            let a = self.ternary()?;
            self.newlines();
            self.expect_op(":")?;
            self.newlines();
            let b = self.ternary()?;
            return Ok(Expr::Cond(Box::new(c), Box::new(a), Box::new(b)));
        }
        Ok(c)
    }

    fn or(&mut self) -> PResult<Expr> {
        let mut l = self.and()?;
        while self.eat_op("||") {
            self.newlines();
            l = Expr::Or(Box::new(l), Box::new(self.and()?));
        }
        Ok(l)
    }

    fn and(&mut self) -> PResult<Expr> {
        let mut l = self.in_expr()?;
        while self.eat_op("&&") {
            self.newlines();
            l = Expr::And(Box::new(l), Box::new(self.in_expr()?));
        }
        Ok(l)
    }

    fn in_expr(&mut self) -> PResult<Expr> {
        let mut l = self.tilde()?;
        while !self.no_in && self.is_kw("in") {
            self.next();
            let name = match self.next() {
                Tok::Name(n) => n,
                t => return fail(format!("syntax error: in {t:?}")),
            };
            l = Expr::In(vec![l], name);
        }
        Ok(l)
    }

    fn tilde(&mut self) -> PResult<Expr> {
        let mut l = self.comparison()?;
        loop {
            let yes = if self.is_op("~") {
                true
            } else if self.is_op("!~") {
                false
            } else {
                return Ok(l);
            };
            self.next();
            l = Expr::Tilde(Box::new(l), Box::new(self.comparison()?), yes);
        }
    }

    fn comparison(&mut self) -> PResult<Expr> {
        let l = self.concat()?;
        let op = match self.peek() {
            Tok::Op(o @ ("<" | "<=" | "==" | "!=" | ">=")) => *o,
            Tok::Op(">") if !self.no_gt => ">",
            _ => return Ok(l),
        };
        self.next();
        Ok(Expr::Binary(op, Box::new(l), Box::new(self.concat()?)))
    }

    fn starts_operand(&self) -> bool {
        match self.peek() {
            Tok::Num(_) | Tok::Str(_) | Tok::Ere(_) | Tok::Name(_) | Tok::Builtin(_) => true,
            Tok::Op(o) => matches!(*o, "$" | "(" | "!" | "-" | "+" | "++" | "--"),
            _ => false,
        }
    }

    fn concat(&mut self) -> PResult<Expr> {
        let mut l = self.additive()?;
        // `a -1` is a subtraction, `a !b` is not awk: only operands that cannot
        // continue an expression start a concatenation.
        while self.starts_operand() && !matches!(self.peek(), Tok::Op("!" | "-" | "+")) {
            if self.no_in && self.is_kw("in") {
                break;
            }
            l = Expr::Concat(Box::new(l), Box::new(self.additive()?));
        }
        Ok(l)
    }

    fn additive(&mut self) -> PResult<Expr> {
        let mut l = self.multiplicative()?;
        loop {
            let op = match self.peek() {
                Tok::Op(o @ ("+" | "-")) => *o,
                _ => return Ok(l),
            };
            self.next();
            l = Expr::Binary(op, Box::new(l), Box::new(self.multiplicative()?));
        }
    }

    fn multiplicative(&mut self) -> PResult<Expr> {
        let mut l = self.unary()?;
        loop {
            let op = match self.peek() {
                Tok::Op(o @ ("*" | "/" | "%")) => *o,
                _ => return Ok(l),
            };
            self.next();
            l = Expr::Binary(op, Box::new(l), Box::new(self.unary()?));
        }
    }

    fn unary(&mut self) -> PResult<Expr> {
        if self.eat_op("!") {
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.eat_op("-") {
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        if self.eat_op("+") {
            return Ok(Expr::Plus(Box::new(self.unary()?)));
        }
        self.power()
    }

    fn power(&mut self) -> PResult<Expr> {
        let base = self.postfix()?;
        if self.eat_op("^") {
            // Right-associative, and binds tighter than a unary minus on its left.
            let e = if self.is_op("-") || self.is_op("+") || self.is_op("!") {
                self.unary()?
            } else {
                self.power()?
            };
            return Ok(Expr::Binary("^", Box::new(base), Box::new(e)));
        }
        Ok(base)
    }

    fn postfix(&mut self) -> PResult<Expr> {
        if self.is_op("++") || self.is_op("--") {
            let by = if self.is_op("++") { 1.0 } else { -1.0 };
            self.next();
            let target = self.postfix()?;
            if !matches!(target, Expr::Var(_) | Expr::Field(_) | Expr::Index(..)) {
                return fail(String::from("syntax error: ++ or -- needs a variable"));
            }
            return Ok(Expr::Incr(Box::new(target), by, true));
        }
        let e = self.primary()?;
        if matches!(e, Expr::Var(_) | Expr::Field(_) | Expr::Index(..))
            && (self.is_op("++") || self.is_op("--"))
        {
            let by = if self.is_op("++") { 1.0 } else { -1.0 };
            self.next();
            return Ok(Expr::Incr(Box::new(e), by, false));
        }
        Ok(e)
    }

    fn primary(&mut self) -> PResult<Expr> {
        match self.next() {
            Tok::Num(v) => Ok(Expr::Num(v)),
            Tok::Str(s) => Ok(Expr::Str(s)),
            Tok::Ere(r) => {
                self.regexes.push(Ere::new(&r)?);
                Ok(Expr::Match(self.regexes.len() - 1))
            }
            Tok::Op("$") => {
                let e = if self.is_op("++") || self.is_op("--") {
                    self.postfix()?
                } else if self.eat_op("-") {
                    Expr::Neg(Box::new(self.primary()?))
                } else {
                    self.primary()?
                };
                Ok(Expr::Field(Box::new(e)))
            }
            Tok::Op("(") => {
                let list = self.expr_list(")")?;
                if list.len() > 1 {
                    if self.is_kw("in") {
                        self.next();
                        if let Tok::Name(n) = self.next() {
                            return Ok(Expr::In(list, n));
                        }
                    }
                    return fail(String::from("syntax error: a list in parentheses"));
                }
                match list.into_iter().next() {
                    Some(e) => Ok(e),
                    None => fail(String::from("syntax error: empty parentheses")),
                }
            }
            Tok::Name(n) => {
                if self.is_op("[") {
                    self.next();
                    let subs = self.expr_list("]")?;
                    Ok(Expr::Index(n, subs))
                } else {
                    Ok(Expr::Var(n))
                }
            }
            Tok::Builtin(f) => {
                if self.eat_op("(") {
                    let args = self.expr_list(")")?;
                    Ok(Expr::Call(f, args))
                } else if f == "length" {
                    Ok(Expr::Call(f, Vec::new()))
                } else {
                    fail(format!("syntax error: {f} without arguments"))
                }
            }
            t => fail(format!("syntax error near {t:?}")),
        }
    }
}
