#!/usr/bin/perl
# The mutation list's reader for tools/mutate/run.sh.
#
#   mutate.pl list   LIST        one line per mutation: "id<TAB>file<TAB>test test ...<TAB>timeout"
#   mutate.pl check  LIST TREE   every mutation's original text occurs exactly once
#                                in its file under TREE and differs from its replacement
#   mutate.pl apply  LIST TREE ID  applies mutation ID to TREE (in place)
#
# LIST format (tools/mutate/mutations.txt describes it): records
#   @ id
#   file: path
#   tests: test_a test_b
#   why: one line
#   timeout: seconds     (optional) a test running longer kills the mutation
#   <<<
#   original text (one or more lines, exact)
#   ===
#   replacement text (zero or more lines)
#   >>>
# Lines starting with '#' outside a record's text are comments.
use strict;
use warnings;

sub parse {
	my ($path) = @_;
	open(my $fh, '<', $path) or die "mutate: cannot read $path: $!\n";
	my (@m, $cur, $mode);
	my $ln = 0;
	while (my $l = <$fh>) {
		$ln++;
		if (defined $mode && $mode eq 'orig') {
			if ($l eq "===\n") { $mode = 'repl'; next; }
			$cur->{orig} .= $l;
			next;
		}
		if (defined $mode && $mode eq 'repl') {
			if ($l eq ">>>\n") { undef $mode; next; }
			$cur->{repl} .= $l;
			next;
		}
		next if $l =~ /^\s*(#.*)?$/;
		if ($l =~ /^@\s+(\S+)\s*$/) {
			$cur = { id => $1, line => $ln, orig => '', repl => '' };
			push @m, $cur;
		} elsif (!$cur) {
			die "mutate: $path:$ln: text before the first '@ id'\n";
		} elsif ($l =~ /^(file|tests|why|timeout):\s*(.*?)\s*$/) {
			$cur->{$1} = $2;
		} elsif ($l eq "<<<\n") {
			$mode = 'orig';
		} else {
			die "mutate: $path:$ln: cannot read '$l'";
		}
	}
	die "mutate: $path: unterminated text of $cur->{id}\n" if defined $mode;
	my %seen;
	for my $x (@m) {
		for my $k (qw(file tests why)) {
			die "mutate: $path:$x->{line}: $x->{id} has no '$k:'\n" unless $x->{$k};
		}
		die "mutate: $path:$x->{line}: $x->{id} has no original text\n" if $x->{orig} eq '';
		die "mutate: $path:$x->{line}: id $x->{id} used twice\n" if $seen{$x->{id}}++;
		die "mutate: $path:$x->{line}: $x->{id}: timeout is not a number\n"
			if defined $x->{timeout} && $x->{timeout} !~ /^[0-9]+$/;
	}
	return @m;
}

sub slurp {
	my ($p) = @_;
	open(my $fh, '<', $p) or die "mutate: cannot read $p: $!\n";
	local $/;
	return <$fh>;
}

sub count_in {
	my ($text, $needle) = @_;
	my ($n, $pos) = (0, 0);
	while (($pos = index($text, $needle, $pos)) >= 0) {
		$n++;
		$pos += length($needle);
	}
	return $n;
}

my ($cmd, $list, $tree, $id) = @ARGV;
die "usage: mutate.pl list|check|apply LIST [TREE [ID]]\n" unless $cmd && $list;
my @m = parse($list);
if ($cmd eq 'list') {
	print "$_->{id}\t$_->{file}\t$_->{tests}\t" . ($_->{timeout} // '') . "\n" for @m;
} elsif ($cmd eq 'check') {
	my $bad = 0;
	for my $x (@m) {
		my $f = "$tree/$x->{file}";
		if (!-f $f) {
			print STDERR "mutate: $x->{id}: no file $x->{file}\n";
			$bad++;
			next;
		}
		my $n = count_in(slurp($f), $x->{orig});
		if ($n != 1) {
			print STDERR "mutate: $x->{id}: its original text occurs $n times in $x->{file} " .
				"(must be once: the code changed; update $list line $x->{line})\n";
			$bad++;
		}
		if ($x->{orig} eq $x->{repl}) {
			print STDERR "mutate: $x->{id}: replacement equals the original\n";
			$bad++;
		}
		for my $t (split ' ', $x->{tests}) {
			next if -f "$tree/tests/$t.c";
			print STDERR "mutate: $x->{id}: no test tests/$t.c\n";
			$bad++;
		}
	}
	exit($bad ? 1 : 0);
} elsif ($cmd eq 'apply') {
	my ($x) = grep { $_->{id} eq $id } @m;
	die "mutate: no mutation $id in $list\n" unless $x;
	my $f = "$tree/$x->{file}";
	my $text = slurp($f);
	my $n = count_in($text, $x->{orig});
	die "mutate: $id: original text occurs $n times in $x->{file}\n" unless $n == 1;
	my $at = index($text, $x->{orig});
	substr($text, $at, length($x->{orig})) = $x->{repl};
	open(my $fh, '>', $f) or die "mutate: cannot write $f: $!\n";
	print $fh $text;
	close($fh) or die "mutate: cannot write $f: $!\n";
} else {
	die "mutate: unknown command $cmd\n";
}
