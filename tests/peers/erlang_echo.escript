#!/usr/bin/env escript
%% A gen_tcp {packet,N} echo server, as in the OTP gen_tcp tutorial, for
%% tests/peer_erlang.rs.
%%
%% Usage: escript erlang_echo.escript N [MaxPacketSize]
%%   N              the {packet,N} header size: 1, 2 or 4
%%   MaxPacketSize  optional {packet_size, Max}: longer frames make recv fail
%%                  with emsgsize, and the server closes that connection
%%
%% Listens on 127.0.0.1 on a free port, prints "LISTENING <port>", then echoes
%% every frame on every connection ({active,false}, 120 s idle timeout). When a
%% connection ends it prints "CLOSED <reason>".
-mode(compile).

main([N | Rest]) ->
    Limit = case Rest of
                [] -> [];
                [Max] -> [{packet_size, list_to_integer(Max)}]
            end,
    Options = [binary, {packet, list_to_integer(N)}, {active, false},
               {ip, {127, 0, 0, 1}}, {reuseaddr, true}] ++ Limit,
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
        {ok, Frame} ->
            ok = gen_tcp:send(Socket, Frame),
            echo(Socket);
        {error, Reason} ->
            io:format("CLOSED ~p~n", [Reason]),
            gen_tcp:close(Socket)
    end.
