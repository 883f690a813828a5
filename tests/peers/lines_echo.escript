#!/usr/bin/env escript
%% A gen_tcp {packet,line} echo server for tests/peer_lines.rs.
%%
%% Usage: escript lines_echo.escript
%%
%% Listens on 127.0.0.1 on a free port with {packet,line} and a 128 KiB
%% {buffer,...} (the longest line handed over whole), prints
%% "LISTENING <port>", then on every connection prints "RECV <length>" for
%% each line gen_tcp:recv/2 returns (delimiter included, as Erlang keeps it)
%% and sends the line back unchanged. When a connection ends it prints
%% "CLOSED <reason>".
-mode(compile).

main([]) ->
    Options = [binary, {packet, line}, {buffer, 131072}, {active, false},
               {ip, {127, 0, 0, 1}}, {reuseaddr, true}],
    {ok, Listen} = gen_tcp:listen(0, Options),
    {ok, Port} = inet:port(Listen),
    io:format("LISTENING ~b~n", [Port]),
    accept(Listen).

accept(Listen) ->
    {ok, Socket} = gen_tcp:accept(Listen),
    Pid = spawn(fun() -> receive go -> echo(Socket) end end),
    ok = gen_tcp:controlling_process(Socket, Pid),
    Pid ! go,
    accept(Listen).

echo(Socket) ->
    case gen_tcp:recv(Socket, 0, 120000) of
        {ok, Line} ->
            io:format("RECV ~b~n", [byte_size(Line)]),
            ok = gen_tcp:send(Socket, Line),
            echo(Socket);
        {error, Reason} ->
            io:format("CLOSED ~p~n", [Reason]),
            gen_tcp:close(Socket)
    end.
