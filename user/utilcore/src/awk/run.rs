//! `awk`'s statements and expressions: `exec` runs one statement (with `print`'s
//! redirections), `eval` computes one expression.

use super::*;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

impl Awk {
    pub(super) fn exec(&mut self, s: &Stmt) -> RResult<Flow> {
        match s {
            Stmt::Expr(e) => {
                self.eval(e)?;
            }
            Stmt::Print(args, redirect) => {
                let vals = if args.is_empty() {
                    vec![Value::Str(self.fields[0].clone())]
                } else {
                    let mut v = Vec::new();
                    for a in args {
                        v.push(self.eval(a)?);
                    }
                    v
                };
                let start = self.out.len();
                self.print_values(&vals);
                self.redirect(redirect.as_ref(), start)?;
            }
            Stmt::Printf(args, redirect) => {
                let mut v = Vec::new();
                for a in args {
                    v.push(self.eval(a)?);
                }
                let fmt = self.to_str(&v[0]);
                let text = self.format(&fmt, &v[1..])?;
                let start = self.out.len();
                self.out.extend_from_slice(text.as_bytes());
                self.redirect(redirect.as_ref(), start)?;
            }
            Stmt::If(c, a, b) => {
                if self.eval(c)?.truth() {
                    return self.exec(a);
                } else if let Some(b) = b {
                    return self.exec(b);
                }
            }
            Stmt::While(c, body) => {
                while self.eval(c)?.truth() {
                    match self.exec(body)? {
                        Flow::Break => break,
                        Flow::Normal | Flow::Continue => {}
                        f => return Ok(f),
                    }
                }
            }
            Stmt::Do(body, c) => loop {
                match self.exec(body)? {
                    Flow::Break => break,
                    Flow::Normal | Flow::Continue => {}
                    f => return Ok(f),
                }
                if !self.eval(c)?.truth() {
                    break;
                }
            },
            Stmt::For(init, cond, step, body) => {
                if let Some(i) = init {
                    self.eval(i)?;
                }
                loop {
                    if let Some(c) = cond {
                        if !self.eval(c)?.truth() {
                            break;
                        }
                    }
                    match self.exec(body)? {
                        Flow::Break => break,
                        Flow::Normal | Flow::Continue => {}
                        f => return Ok(f),
                    }
                    if let Some(st) = step {
                        self.eval(st)?;
                    }
                }
            }
            Stmt::ForIn(k, a, body) => {
                let keys: Vec<String> = self
                    .arrays
                    .get(a)
                    .map(|m| m.keys().cloned().collect())
                    .unwrap_or_default();
                for key in keys {
                    self.set_var(k, Value::from_input(key));
                    match self.exec(body)? {
                        Flow::Break => break,
                        Flow::Normal | Flow::Continue => {}
                        f => return Ok(f),
                    }
                }
            }
            Stmt::Block(list) => {
                for st in list {
                    let f = self.exec(st)?;
                    if f != Flow::Normal {
                        return Ok(f);
                    }
                }
            }
            Stmt::Next => return Ok(Flow::Next),
            Stmt::Break => return Ok(Flow::Break),
            Stmt::Continue => return Ok(Flow::Continue),
            Stmt::Exit(e) => {
                if let Some(e) = e {
                    self.status = self.eval(e)?.num() as i32;
                }
                return Ok(Flow::Exit);
            }
            Stmt::Delete(a, subs) => match subs {
                Some(subs) => {
                    let k = self.subscript(subs)?;
                    if let Some(m) = self.arrays.get_mut(a) {
                        m.remove(&k);
                    }
                }
                None => {
                    self.arrays.remove(a);
                }
            },
        }
        Ok(Flow::Normal)
    }

    /// Move what was just printed (from `start` on) to the file `r` names, if any.
    pub(super) fn redirect(&mut self, r: Option<&Redirect>, start: usize) -> RResult<()> {
        let Some(r) = r else {
            return Ok(());
        };
        let bytes = self.out.split_off(start);
        let v = self.eval(&r.file)?;
        let name = self.to_str(&v);
        if name == "/dev/stdout" || name == "-" {
            self.out.extend_from_slice(&bytes);
            return Ok(());
        }
        let first = self.opened.insert(name.clone(), ()).is_none();
        match self.files.last_mut() {
            Some(f) if f.name == name => f.bytes.extend_from_slice(&bytes),
            _ => self.files.push(FileOutput {
                name,
                truncate: first && !r.append,
                bytes,
            }),
        }
        Ok(())
    }

    pub(super) fn print_values(&mut self, vals: &[Value]) {
        let ofmt = value_str(&self.get_var("OFMT"), "%.6g");
        let ofs = self.to_str(&self.get_var("OFS"));
        let ors = self.to_str(&self.get_var("ORS"));
        for (i, v) in vals.iter().enumerate() {
            if i > 0 {
                self.out.extend_from_slice(ofs.as_bytes());
            }
            self.out.extend_from_slice(value_str(v, &ofmt).as_bytes());
        }
        self.out.extend_from_slice(ors.as_bytes());
    }

    // ------------------------------------------------ expressions

    pub(super) fn eval(&mut self, e: &Expr) -> RResult<Value> {
        Ok(match e {
            Expr::Num(v) => Value::Num(*v),
            Expr::Str(s) => Value::Str(s.clone()),
            Expr::Match(i) => {
                let hit = self.prog.regexes[*i].is_match(self.fields[0].as_bytes());
                Value::Num(hit as u8 as f64)
            }
            Expr::Var(_) | Expr::Field(_) | Expr::Index(..) => self.get(e)?,
            Expr::Assign(target, op, rhs) => {
                let r = self.eval(rhs)?;
                let v = match op {
                    None => match r {
                        Value::StrNum(s, n) => Value::StrNum(s, n),
                        other => other,
                    },
                    Some(op) => {
                        let l = self.get(target)?.num();
                        Value::Num(arith(op, l, r.num())?)
                    }
                };
                self.set(target, v.clone())?;
                v
            }
            Expr::Incr(target, by, pre) => {
                let old = self.get(target)?.num();
                self.set(target, Value::Num(old + by))?;
                Value::Num(if *pre { old + by } else { old })
            }
            Expr::Binary(op, a, b) => {
                let l = self.eval(a)?;
                let r = self.eval(b)?;
                match *op {
                    "<" | "<=" | "==" | "!=" | ">" | ">=" => {
                        let ord = self.compare(&l, &r);
                        use core::cmp::Ordering::*;
                        let t = match *op {
                            "<" => ord == Some(Less),
                            "<=" => matches!(ord, Some(Less | Equal)),
                            "==" => ord == Some(Equal),
                            "!=" => ord != Some(Equal),
                            ">" => ord == Some(Greater),
                            _ => matches!(ord, Some(Greater | Equal)),
                        };
                        Value::Num(t as u8 as f64)
                    }
                    _ => Value::Num(arith(op, l.num(), r.num())?),
                }
            }
            Expr::Concat(a, b) => {
                let l = self.eval(a)?;
                let r = self.eval(b)?;
                Value::Str(self.to_str(&l) + &self.to_str(&r))
            }
            Expr::Not(a) => Value::Num(!self.eval(a)?.truth() as u8 as f64),
            Expr::Neg(a) => Value::Num(-self.eval(a)?.num()),
            Expr::Plus(a) => Value::Num(self.eval(a)?.num()),
            Expr::And(a, b) => {
                Value::Num((self.eval(a)?.truth() && self.eval(b)?.truth()) as u8 as f64)
            }
            Expr::Or(a, b) => {
                Value::Num((self.eval(a)?.truth() || self.eval(b)?.truth()) as u8 as f64)
            }
            Expr::Cond(c, a, b) => {
                if self.eval(c)?.truth() {
                    self.eval(a)?
                } else {
                    self.eval(b)?
                }
            }
            Expr::Tilde(a, re, yes) => {
                let v = self.eval(a)?;
                let s = self.to_str(&v);
                let r = self.regex_of(re)?;
                Value::Num((r.is_match(s.as_bytes()) == *yes) as u8 as f64)
            }
            Expr::In(subs, a) => {
                let k = self.subscript(subs)?;
                let has = self.arrays.get(a).is_some_and(|m| m.contains_key(&k));
                Value::Num(has as u8 as f64)
            }
            Expr::Call(f, args) => self.call(f, args)?,
        })
    }

    pub(super) fn format(&self, fmt: &str, args: &[Value]) -> RResult<String> {
        match format_checked(fmt, args, &self.convfmt()) {
            (s, true) => Ok(s),
            _ => fail(format!("not enough arguments passed to printf(\"{fmt}\")")),
        }
    }

    pub(super) fn compare(&self, l: &Value, r: &Value) -> Option<core::cmp::Ordering> {
        let numeric = |v: &Value| matches!(v, Value::Num(_) | Value::StrNum(..));
        if numeric(l) && numeric(r) {
            l.num().partial_cmp(&r.num())
        } else {
            Some(self.to_str(l).as_bytes().cmp(self.to_str(r).as_bytes()))
        }
    }
}
